// basic_file: what stream_file and random_access_file share (Asio's basic_file): opening,
// closing, size, resize, sync, cancel. Asynchronous I/O runs natively on io_uring and on
// the blocking pool under epoll; see detail/file_impl.hpp.
#ifndef BLITZ_BASIC_FILE_HPP
#define BLITZ_BASIC_FILE_HPP

#include <blitz/detail/file_impl.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/file_base.hpp>
#include <blitz/io_context.hpp>

#include <cstdint>
#include <string>

namespace blitz {

template <class Executor = io_context::executor_type>
class basic_file : public file_base
{
public:
  using executor_type = Executor;
  using native_handle_type = int;

  explicit basic_file(io_context& ctx) : ex_(ctx.get_executor()), impl_(ctx.impl()) {}
  explicit basic_file(const executor_type& ex) : ex_(ex), impl_(ex.context().impl()) {}
  basic_file(io_context& ctx, const char* path, flags open_flags) : basic_file(ctx)
  {
    open(path, open_flags);
  }
  basic_file(io_context& ctx, const std::string& path, flags open_flags) : basic_file(ctx)
  {
    open(path, open_flags);
  }
  basic_file(io_context& ctx, const native_handle_type& fd) : basic_file(ctx) { assign(fd); }
  basic_file(const executor_type& ex, const char* path, flags open_flags) : basic_file(ex)
  {
    open(path, open_flags);
  }
  basic_file(const executor_type& ex, const std::string& path, flags open_flags)
    : basic_file(ex)
  {
    open(path, open_flags);
  }
  basic_file(const executor_type& ex, const native_handle_type& fd) : basic_file(ex)
  {
    assign(fd);
  }
  // Pending operations continue on the moved-to object.
  basic_file(basic_file&&) noexcept = default;
  basic_file& operator=(basic_file&&) noexcept = default;

  executor_type get_executor() const noexcept { return ex_; }

  void open(const char* path, flags open_flags)
  {
    boost::system::error_code ec;
    open(path, open_flags, ec);
    detail::throw_error(ec, "open");
  }
  void open(const char* path, flags open_flags, boost::system::error_code& ec)
  {
    impl_.open(path, static_cast<int>(open_flags), ec);
  }
  void open(const std::string& path, flags open_flags) { open(path.c_str(), open_flags); }
  void open(const std::string& path, flags open_flags, boost::system::error_code& ec)
  {
    open(path.c_str(), open_flags, ec);
  }

  void assign(const native_handle_type& fd)
  {
    boost::system::error_code ec;
    assign(fd, ec);
    detail::throw_error(ec, "assign");
  }
  void assign(const native_handle_type& fd, boost::system::error_code& ec)
  {
    impl_.assign(fd, ec);
  }

  bool is_open() const noexcept { return impl_.is_open(); }

  // Pending operations complete with operation_aborted (a pool syscall already running
  // finishes first; close waits for it).
  void close()
  {
    boost::system::error_code ec;
    close(ec);
    detail::throw_error(ec, "close");
  }
  void close(boost::system::error_code& ec) { impl_.close(ec); }

  // Gives up ownership of the descriptor; pending operations complete with
  // operation_aborted.
  native_handle_type release()
  {
    boost::system::error_code ec;
    native_handle_type fd = release(ec);
    detail::throw_error(ec, "release");
    return fd;
  }
  native_handle_type release(boost::system::error_code& ec) { return impl_.release(ec); }

  native_handle_type native_handle() noexcept { return impl_.native_handle(); }

  // Pending operations complete with operation_aborted where they can still be stopped;
  // one the kernel (or a pool thread) is already performing completes with its result.
  void cancel()
  {
    boost::system::error_code ec;
    cancel(ec);
    detail::throw_error(ec, "cancel");
  }
  void cancel(boost::system::error_code& ec) { impl_.cancel(ec); }

  std::uint64_t size() const
  {
    boost::system::error_code ec;
    std::uint64_t n = size(ec);
    detail::throw_error(ec, "size");
    return n;
  }
  std::uint64_t size(boost::system::error_code& ec) const { return impl_.size(ec); }

  void resize(std::uint64_t n)
  {
    boost::system::error_code ec;
    resize(n, ec);
    detail::throw_error(ec, "resize");
  }
  void resize(std::uint64_t n, boost::system::error_code& ec) { impl_.resize(n, ec); }

  // fsync: data and metadata reach the disk.
  void sync_all()
  {
    boost::system::error_code ec;
    sync_all(ec);
    detail::throw_error(ec, "sync_all");
  }
  void sync_all(boost::system::error_code& ec) { impl_.sync_all(ec); }

  // fdatasync: the data (and the metadata needed to read it back) reach the disk.
  void sync_data()
  {
    boost::system::error_code ec;
    sync_data(ec);
    detail::throw_error(ec, "sync_data");
  }
  void sync_data(boost::system::error_code& ec) { impl_.sync_data(ec); }

protected:
  ~basic_file() = default;

  Executor ex_;
  detail::file_impl impl_;
};

} // namespace blitz

#endif
