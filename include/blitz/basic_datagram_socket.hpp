// basic_datagram_socket: message-oriented sockets, ip::udp::socket and
// local::datagram_protocol::socket (Asio's basic_datagram_socket).
//
// Unlike a stream, a datagram socket gives zero-length buffers no special treatment: an
// empty send transmits an empty datagram and an empty receive consumes one, so both go
// to the kernel, and a zero-byte result is a datagram, never eof.
#ifndef BLITZ_BASIC_DATAGRAM_SOCKET_HPP
#define BLITZ_BASIC_DATAGRAM_SOCKET_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_socket.hpp>
#include <blitz/detail/buffer_iov.hpp>

namespace blitz {

template <class Protocol, class Executor = io_context::executor_type>
class basic_datagram_socket : public basic_socket<Protocol, Executor>
{
  using base = basic_socket<Protocol, Executor>;

public:
  using typename base::executor_type;
  using typename base::protocol_type;
  using typename base::endpoint_type;
  using typename base::message_flags;

  using base::base;
  basic_datagram_socket(basic_datagram_socket&&) noexcept = default;
  basic_datagram_socket& operator=(basic_datagram_socket&&) noexcept = default;

  // Connected sockets (after connect()): send to and receive from the peer only.
  template <class ConstBufferSequence>
  std::size_t send(const ConstBufferSequence& b, message_flags flags = 0)
  {
    boost::system::error_code ec;
    std::size_t n = send(b, flags, ec);
    detail::throw_error(ec, "send");
    return n;
  }
  template <class ConstBufferSequence>
  std::size_t send(const ConstBufferSequence& b, message_flags flags,
                   boost::system::error_code& ec)
  {
    detail::iov_array a(b);
    if (a.left_over)
      return datagram_too_scattered(ec);
    return this->impl_.send(a.iov, a.count, flags, ec);
  }

  template <class MutableBufferSequence>
  std::size_t receive(const MutableBufferSequence& b, message_flags flags = 0)
  {
    boost::system::error_code ec;
    std::size_t n = receive(b, flags, ec);
    detail::throw_error(ec, "receive");
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t receive(const MutableBufferSequence& b, message_flags flags,
                      boost::system::error_code& ec)
  {
    detail::iov_array a(b);
    return this->impl_.receive(a.iov, a.count, flags, ec);
  }

  template <class ConstBufferSequence>
  std::size_t send_to(const ConstBufferSequence& b, const endpoint_type& dest,
                      message_flags flags = 0)
  {
    boost::system::error_code ec;
    std::size_t n = send_to(b, dest, flags, ec);
    detail::throw_error(ec, "send_to");
    return n;
  }
  template <class ConstBufferSequence>
  std::size_t send_to(const ConstBufferSequence& b, const endpoint_type& dest,
                      message_flags flags, boost::system::error_code& ec)
  {
    detail::iov_array a(b);
    if (a.left_over)
      return datagram_too_scattered(ec);
    return this->impl_.send_to(a.iov, a.count, flags, dest.data(),
                               static_cast<::socklen_t>(dest.size()), ec);
  }

  template <class MutableBufferSequence>
  std::size_t receive_from(const MutableBufferSequence& b, endpoint_type& sender,
                           message_flags flags = 0)
  {
    boost::system::error_code ec;
    std::size_t n = receive_from(b, sender, flags, ec);
    detail::throw_error(ec, "receive_from");
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t receive_from(const MutableBufferSequence& b, endpoint_type& sender,
                           message_flags flags, boost::system::error_code& ec)
  {
    detail::iov_array a(b);
    endpoint_type from;
    std::size_t len = from.capacity();
    std::size_t n = this->impl_.receive_from(a.iov, a.count, flags, from.data(), &len, ec);
    if (!ec)
    {
      from.resize(len);
      sender = from;
    }
    return n;
  }

  // handler(error_code, std::size_t bytes).
  template <class ConstBufferSequence, class WriteHandler>
  auto async_send(const ConstBufferSequence& b, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::send, 0}, handler, b);
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_send(const ConstBufferSequence& b, message_flags flags, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::send, flags}, handler, b);
  }
  template <class MutableBufferSequence, class ReadHandler>
  auto async_receive(const MutableBufferSequence& b, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::recv, 0}, handler, b);
  }
  template <class MutableBufferSequence, class ReadHandler>
  auto async_receive(const MutableBufferSequence& b, message_flags flags, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::recv, flags}, handler, b);
  }

  // handler(error_code, std::size_t bytes). dest is copied; it need not outlive the call.
  template <class ConstBufferSequence, class WriteHandler>
  auto async_send_to(const ConstBufferSequence& b, const endpoint_type& dest,
                     WriteHandler&& handler)
  {
    return async_send_to(b, dest, 0, std::forward<WriteHandler>(handler));
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_send_to(const ConstBufferSequence& b, const endpoint_type& dest,
                     message_flags flags, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this, flags](auto&& h, const auto& b, const endpoint_type& dest) {
          using H = decltype(h);
          using op_t = detail::send_to_op<endpoint_type, detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h), dest);
          o->msg_flags_ = flags;
          this->start_datagram_op(o, b);
        },
        handler, b, dest);
  }

  // handler(error_code, std::size_t bytes). sender must stay alive until the handler runs;
  // it is written only when a datagram arrived.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_receive_from(const MutableBufferSequence& b, endpoint_type& sender,
                          ReadHandler&& handler)
  {
    return async_receive_from(b, sender, 0, std::forward<ReadHandler>(handler));
  }
  template <class MutableBufferSequence, class ReadHandler>
  auto async_receive_from(const MutableBufferSequence& b, endpoint_type& sender,
                          message_flags flags, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [this, &sender, flags](auto&& h, const auto& b) {
          using H = decltype(h);
          using op_t = detail::receive_from_op<endpoint_type, detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h), sender);
          o->msg_flags_ = flags;
          this->start_datagram_op(o, b);
        },
        handler, b);
  }

private:
  // The initiation of every transfer (a deferred one keeps it, with the buffers, to start
  // later).
  struct initiate_transfer
  {
    basic_datagram_socket* self;
    detail::io_kind kind;
    message_flags flags;
    template <class Handler, class BufferSequence>
    void operator()(Handler&& handler, const BufferSequence& b) const
    {
      self->start_transfer(kind, b, flags, std::forward<Handler>(handler));
    }
  };

  template <class BufferSequence, class Handler>
  void start_transfer(detail::io_kind k, const BufferSequence& b, message_flags flags,
                      Handler&& handler)
  {
    using op_t = detail::transfer_op<detail::decay_handler_t<Handler>>;
    op_t* o = detail::new_handler_op<op_t>(std::forward<Handler>(handler), k);
    o->msg_flags_ = flags;
    start_datagram_op(o, b);
  }

  // A datagram is sent whole or not at all: one with more non-empty buffers than a call
  // takes (detail::max_sync_iov, or detail::io_op::max_iov for an asynchronous one) fails
  // with message_size, as one larger than the socket allows does, rather than going out
  // cut short. (A receive fills the buffers that fit and reports the datagram truncated,
  // as it does for one larger than its buffers.)
  static std::size_t datagram_too_scattered(boost::system::error_code& ec)
  {
    ec = error::message_size;
    return 0;
  }
  template <class BufferSequence>
  void start_datagram_op(detail::io_op* o, const BufferSequence& b)
  {
    bool left_over = false;
    detail::fill_iov(o, b, &left_over);
    if (left_over && (o->kind_ == detail::io_kind::send || o->kind_ == detail::io_kind::send_to))
      this->impl_.post_immediate(o, error::message_size);
    else
      this->impl_.start_op(o);
  }
};

} // namespace blitz

#endif
