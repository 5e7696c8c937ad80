// random_access_file: a file read and written at explicit offsets, with no position of its
// own (Asio's basic_random_access_file / random_access_file). read_at/write_at build whole
// transfers on top of read_some_at/write_some_at.
#ifndef BLITZ_RANDOM_ACCESS_FILE_HPP
#define BLITZ_RANDOM_ACCESS_FILE_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_file.hpp>
#include <blitz/buffer.hpp>
#include <blitz/detail/file_ops.hpp>

#include <cstdint>
#include <utility>

namespace blitz {

template <class Executor = io_context::executor_type>
class basic_random_access_file : public basic_file<Executor>
{
  using base = basic_file<Executor>;

public:
  using typename base::executor_type;
  using typename base::native_handle_type;

  using base::base;
  basic_random_access_file(basic_random_access_file&&) noexcept = default;
  basic_random_access_file& operator=(basic_random_access_file&&) noexcept = default;

  // Reading at or past the end of the file gives error::eof.
  template <class MutableBufferSequence>
  std::size_t read_some_at(std::uint64_t offset, const MutableBufferSequence& b)
  {
    boost::system::error_code ec;
    std::size_t n = read_some_at(offset, b, ec);
    detail::throw_error(ec, "read_some_at");
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some_at(std::uint64_t offset, const MutableBufferSequence& b,
                           boost::system::error_code& ec)
  {
    ::iovec iov[detail::io_op::max_iov];
    return this->impl_.read_at(offset, iov, detail::file_iov(b, iov), ec);
  }

  template <class ConstBufferSequence>
  std::size_t write_some_at(std::uint64_t offset, const ConstBufferSequence& b)
  {
    boost::system::error_code ec;
    std::size_t n = write_some_at(offset, b, ec);
    detail::throw_error(ec, "write_some_at");
    return n;
  }
  template <class ConstBufferSequence>
  std::size_t write_some_at(std::uint64_t offset, const ConstBufferSequence& b,
                            boost::system::error_code& ec)
  {
    ::iovec iov[detail::io_op::max_iov];
    return this->impl_.write_at(offset, iov, detail::file_iov(b, iov), ec);
  }

  // handler(error_code, std::size_t). Any number may be outstanding at once.
  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some_at(std::uint64_t offset, const MutableBufferSequence& b,
                          ReadHandler&& handler)
  {
    return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [this, offset](auto&& h, const auto& b) {
          using H = decltype(h);
          detail::start_file_op_at(this->impl_, detail::io_kind::read, offset, b,
                                   std::forward<H>(h));
        },
        handler, b);
  }
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some_at(std::uint64_t offset, const ConstBufferSequence& b,
                           WriteHandler&& handler)
  {
    return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this, offset](auto&& h, const auto& b) {
          using H = decltype(h);
          detail::start_file_op_at(this->impl_, detail::io_kind::write, offset, b,
                                   std::forward<H>(h));
        },
        handler, b);
  }
};

using random_access_file = basic_random_access_file<>;

} // namespace blitz

#endif
