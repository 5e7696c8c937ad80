// posix::basic_descriptor: a file descriptor that is not a socket (a pipe end, a tty, a
// FIFO, an eventfd) driven by the io_context (Asio's basic_descriptor).
//
// Assigning a descriptor makes it O_NONBLOCK, which is a property of the open file
// description: a descriptor shared with another process (an inherited stdin, say) becomes
// non-blocking there too, exactly as under Asio. Regular files belong in stream_file and
// random_access_file: epoll cannot watch them.
#ifndef BLITZ_POSIX_BASIC_DESCRIPTOR_HPP
#define BLITZ_POSIX_BASIC_DESCRIPTOR_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/socket_impl.hpp>
#include <blitz/detail/socket_ops.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>
#include <blitz/posix/descriptor_base.hpp>

#include <sys/socket.h>
#include <utility>

namespace blitz {
namespace posix {

template <class Executor = io_context::executor_type>
class basic_descriptor : public descriptor_base
{
public:
  using executor_type = Executor;
  using native_handle_type = int;
  using lowest_layer_type = basic_descriptor;

  explicit basic_descriptor(io_context& ctx) : ex_(ctx.get_executor()), impl_(ctx.impl()) {}
  explicit basic_descriptor(const executor_type& ex) : ex_(ex), impl_(ex.context().impl()) {}
  basic_descriptor(io_context& ctx, native_handle_type fd) : basic_descriptor(ctx) { assign(fd); }
  basic_descriptor(const executor_type& ex, native_handle_type fd) : basic_descriptor(ex)
  {
    assign(fd);
  }
  basic_descriptor(basic_descriptor&&) noexcept = default;
  basic_descriptor& operator=(basic_descriptor&&) noexcept = default;

  executor_type get_executor() const noexcept { return ex_; }
  lowest_layer_type& lowest_layer() noexcept { return *this; }
  const lowest_layer_type& lowest_layer() const noexcept { return *this; }

  // Takes ownership of fd: it is closed by close() or the destructor.
  void assign(native_handle_type fd)
  {
    boost::system::error_code ec;
    assign(fd, ec);
    detail::throw_error(ec, "assign");
  }
  // The descriptor is treated as a byte stream: zero-length transfers complete at once
  // and a zero-byte read means eof.
  void assign(native_handle_type fd, boost::system::error_code& ec)
  {
    impl_.assign(AF_UNSPEC, SOCK_STREAM, 0, fd, ec); // a byte stream of no known family
  }

  bool is_open() const noexcept { return impl_.is_open(); }
  void close()
  {
    boost::system::error_code ec;
    close(ec);
    detail::throw_error(ec, "close");
  }
  void close(boost::system::error_code& ec) { impl_.close(ec); }

  native_handle_type native_handle() noexcept { return impl_.native_handle(); }
  // Gives up ownership: pending operations complete with operation_aborted and the
  // descriptor is returned open.
  native_handle_type release()
  {
    boost::system::error_code ec;
    int fd = impl_.release(ec);
    return ec ? -1 : fd;
  }

  void cancel()
  {
    boost::system::error_code ec;
    cancel(ec);
    detail::throw_error(ec, "cancel");
  }
  void cancel(boost::system::error_code& ec) { impl_.cancel(ec); }

  template <class IoControlCommand>
  void io_control(IoControlCommand& command)
  {
    boost::system::error_code ec;
    io_control(command, ec);
    detail::throw_error(ec, "io_control");
  }
  template <class IoControlCommand>
  void io_control(IoControlCommand& command, boost::system::error_code& ec)
  {
    impl_.io_control(static_cast<unsigned long>(command.name()), command.data(), ec);
  }

  // Synchronous calls in non-blocking mode report would_block instead of waiting.
  bool non_blocking() const noexcept { return impl_.non_blocking(); }
  void non_blocking(bool mode)
  {
    boost::system::error_code ec;
    non_blocking(mode, ec);
    detail::throw_error(ec, "non_blocking");
  }
  void non_blocking(bool mode, boost::system::error_code& ec) { impl_.non_blocking(mode, ec); }

  // See basic_socket::native_non_blocking.
  bool native_non_blocking() const noexcept { return impl_.native_non_blocking(); }
  void native_non_blocking(bool mode)
  {
    boost::system::error_code ec;
    native_non_blocking(mode, ec);
    detail::throw_error(ec, "native_non_blocking");
  }
  void native_non_blocking(bool mode, boost::system::error_code& ec)
  {
    impl_.native_non_blocking(mode, ec);
  }

  void wait(wait_type w)
  {
    boost::system::error_code ec;
    wait(w, ec);
    detail::throw_error(ec, "wait");
  }
  void wait(wait_type w, boost::system::error_code& ec) { impl_.wait(wait_kind(w), ec); }

  // handler(error_code) once the descriptor is ready for w.
  template <class WaitHandler>
  auto async_wait(wait_type w, WaitHandler&& handler)
  {
    return async_initiate<WaitHandler, void(boost::system::error_code)>(
        [this, w](auto&& h) {
          using H = decltype(h);
          using op_t = detail::status_op<detail::decay_handler_t<H>>;
          this->impl_.start_op(detail::new_handler_op<op_t>(std::forward<H>(h), this->wait_kind(w)));
        },
        handler);
  }

protected:
  ~basic_descriptor() = default;

  static detail::io_kind wait_kind(wait_type w) noexcept
  {
    return w == wait_read ? detail::io_kind::wait_read
         : w == wait_write ? detail::io_kind::wait_write : detail::io_kind::wait_error;
  }

  executor_type ex_;
  detail::socket_impl impl_;
};

} // namespace posix
} // namespace blitz

#endif
