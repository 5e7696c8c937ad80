// posix::basic_stream_descriptor: byte-stream reads and writes on a pipe, tty or FIFO
// (Asio's basic_stream_descriptor). Works with the composed read/write/read_until.
#ifndef BLITZ_POSIX_BASIC_STREAM_DESCRIPTOR_HPP
#define BLITZ_POSIX_BASIC_STREAM_DESCRIPTOR_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/buffer_iov.hpp>
#include <blitz/posix/basic_descriptor.hpp>

namespace blitz {
namespace posix {

template <class Executor = io_context::executor_type>
class basic_stream_descriptor : public basic_descriptor<Executor>
{
  using base = basic_descriptor<Executor>;

public:
  using typename base::executor_type;
  using typename base::native_handle_type;

  using base::base;
  basic_stream_descriptor(basic_stream_descriptor&&) noexcept = default;
  basic_stream_descriptor& operator=(basic_stream_descriptor&&) noexcept = default;

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
    detail::iov_array a(b);
    return this->impl_.read(a.iov, a.count, ec);
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
    detail::iov_array a(b);
    return this->impl_.write(a.iov, a.count, ec);
  }

  // handler(error_code, std::size_t). Zero-length buffers complete at once (posted);
  // a writer that closed its end gives error::eof.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& b, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto&& h, const auto& b) {
          using H = decltype(h);
          this->start_transfer(detail::io_kind::read, b, std::forward<H>(h));
        },
        handler, b);
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& b, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto&& h, const auto& b) {
          using H = decltype(h);
          this->start_transfer(detail::io_kind::write, b, std::forward<H>(h));
        },
        handler, b);
  }

private:
  template <class BufferSequence, class Handler>
  void start_transfer(detail::io_kind k, const BufferSequence& b, Handler&& handler)
  {
    using op_t = detail::transfer_op<detail::decay_handler_t<Handler>>;
    op_t* o = detail::new_handler_op<op_t>(std::forward<Handler>(handler), k);
    o->offset_ = -1; // the descriptor's own position: pipes and ttys have none
    if (detail::fill_iov(o, b) == 0 && this->is_open())
      this->impl_.post_immediate(o, boost::system::error_code());
    else
      this->impl_.start_op(o);
  }
};

} // namespace posix
} // namespace blitz

#endif
