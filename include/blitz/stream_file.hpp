// stream_file: a file read and written as a stream from its current position (Asio's
// basic_stream_file / stream_file). The position lives in the object (see
// detail/file_impl.hpp), so reads and writes are issued at an explicit offset and advance it
// on completion; seek() moves it.
#ifndef BLITZ_STREAM_FILE_HPP
#define BLITZ_STREAM_FILE_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_file.hpp>
#include <blitz/buffer.hpp>
#include <blitz/detail/file_ops.hpp>

#include <cstdint>
#include <utility>

namespace blitz {

template <class Executor = io_context::executor_type>
class basic_stream_file : public basic_file<Executor>
{
  using base = basic_file<Executor>;

public:
  using typename base::executor_type;
  using typename base::native_handle_type;

  using base::base;
  basic_stream_file(basic_stream_file&&) noexcept = default;
  basic_stream_file& operator=(basic_stream_file&&) noexcept = default;

  // Returns the new position, from the start of the file.
  std::uint64_t seek(std::int64_t offset, file_base::seek_basis whence)
  {
    boost::system::error_code ec;
    std::uint64_t pos = seek(offset, whence, ec);
    detail::throw_error(ec, "seek");
    return pos;
  }
  std::uint64_t seek(std::int64_t offset, file_base::seek_basis whence,
                     boost::system::error_code& ec)
  {
    return this->impl_.seek(offset, static_cast<int>(whence), ec);
  }

  // Reading at the end of the file gives error::eof.
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
    ::iovec iov[detail::io_op::max_iov];
    return this->impl_.read_stream(iov, detail::file_iov(b, iov), ec);
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
    ::iovec iov[detail::io_op::max_iov];
    return this->impl_.write_stream(iov, detail::file_iov(b, iov), ec);
  }

  // handler(error_code, std::size_t). Zero-length buffers complete at once (posted) with no
  // bytes. Only one read and one write should be outstanding at a time, as for any stream.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& b, ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto&& h, const auto& b) {
          using H = decltype(h);
          detail::start_stream_file_op(this->impl_, detail::io_kind::read, b,
                                       std::forward<H>(h));
        },
        handler, b);
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& b, WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto&& h, const auto& b) {
          using H = decltype(h);
          detail::start_stream_file_op(this->impl_, detail::io_kind::write, b,
                                       std::forward<H>(h));
        },
        handler, b);
  }
};

using stream_file = basic_stream_file<>;

} // namespace blitz

#endif
