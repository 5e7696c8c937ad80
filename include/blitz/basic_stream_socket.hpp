// basic_stream_socket: a connected byte stream (Asio's basic_stream_socket).
#ifndef BLITZ_BASIC_STREAM_SOCKET_HPP
#define BLITZ_BASIC_STREAM_SOCKET_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_socket.hpp>
#include <blitz/detail/pool_ops.hpp>

namespace blitz {

template <class Protocol, class Executor = io_context::executor_type>
class basic_stream_socket : public basic_socket<Protocol, Executor>
{
  using base = basic_socket<Protocol, Executor>;

public:
  using typename base::executor_type;
  using typename base::protocol_type;
  using typename base::endpoint_type;
  using typename base::message_flags;

  using base::base;
  basic_stream_socket(basic_stream_socket&&) noexcept = default;
  basic_stream_socket& operator=(basic_stream_socket&&) noexcept = default;

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b)
  {
    boost::system::error_code ec;
    std::size_t n = read_some(b, ec);
    detail::throw_error(ec, "read_some");
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b, boost::system::error_code& ec)
  {
    return receive(b, 0, ec);
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
    detail::iov_array iov(b);
    return this->impl_.receive(iov.iov, iov.count, flags, ec);
  }

  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b)
  {
    boost::system::error_code ec;
    std::size_t n = write_some(b, ec);
    detail::throw_error(ec, "write_some");
    return n;
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b, boost::system::error_code& ec)
  {
    return send(b, 0, ec);
  }
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
    detail::iov_array iov(b);
    return this->impl_.send(iov.iov, iov.count, flags, ec);
  }

  // handler(error_code, std::size_t bytes). Zero-length buffers complete at once (posted)
  // with no bytes, as in Asio; a peer that closed gives error::eof.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& b, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::recv, 0}, handler, b);
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
  // Beyond Asio: receive into a buffer lent by pool; handler(error_code, pooled_buffer).
  // The buffer is picked only when data arrives, so a pending receive holds none.
  template <class ReadHandler>
  auto async_receive(buffer_pool& pool, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, pooled_buffer)>(
        [this, &pool](auto&& h) {
          using H = decltype(h);
          using op_t = detail::pooled_receive_op<detail::decay_handler_t<H>>;
          this->impl_.start_op(detail::new_handler_op<op_t>(std::forward<H>(h),
                                                            pool.impl()));
        },
        handler);
  }
  // One operation for every chunk to come: handler(error_code, pooled_buffer) runs once per
  // chunk, in order and never concurrently with itself, until an error ends it (eof when
  // the peer closes, operation_aborted after cancel() or close()); that call is the last.
  // An empty pool never ends it: the receive waits for a buffer.
  template <class ReadHandler>
  void async_receive_multishot(buffer_pool& pool, ReadHandler&& handler)
  {
    using op_t = detail::multishot_receive_op<detail::decay_handler_t<ReadHandler>>;
    this->impl_.start_op(detail::new_handler_op<op_t>(std::forward<ReadHandler>(handler),
                                                      pool.impl()));
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& b, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        initiate_transfer{this, detail::io_kind::send, 0}, handler, b);
  }
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

private:
  // The initiation of every transfer (a deferred one keeps it, with the buffers, to start
  // later).
  struct initiate_transfer
  {
    basic_stream_socket* self;
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
    if (detail::fill_iov(o, b) == 0 && this->is_open())
      this->impl_.post_immediate(o, boost::system::error_code());
    else
      this->impl_.start_op(o);
  }
};

} // namespace blitz

#endif
