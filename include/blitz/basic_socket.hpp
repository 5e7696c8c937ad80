// basic_socket: what every socket shares (Asio's basic_socket).
#ifndef BLITZ_BASIC_SOCKET_HPP
#define BLITZ_BASIC_SOCKET_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/io_control.hpp>
#include <blitz/detail/socket_impl.hpp>
#include <blitz/detail/socket_ops.hpp>
#include <blitz/detail/socket_option.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>
#include <blitz/socket_base.hpp>

#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// What a socket reports as its protocol before it is opened: the protocol's v4() where it
// has one (ip::tcp, ip::udp, which cannot be default-constructed), else a
// default-constructed protocol (local::stream_protocol and friends).
template <class Protocol, class = void>
struct unopened_protocol
{
  static Protocol get() { return Protocol(); }
};
template <class Protocol>
struct unopened_protocol<Protocol, typename socket_option::make_void_t<decltype(Protocol::v4())>::type>
{
  static Protocol get() { return Protocol::v4(); }
};

} // namespace detail

template <class Protocol, class Executor = io_context::executor_type>
class basic_socket : public socket_base
{
public:
  using executor_type = Executor;
  using protocol_type = Protocol;
  using endpoint_type = typename Protocol::endpoint;
  using native_handle_type = int;
  using lowest_layer_type = basic_socket;

  explicit basic_socket(io_context& ctx)
    : ex_(ctx.get_executor()), impl_(ctx.impl()),
      protocol_(detail::unopened_protocol<Protocol>::get())
  {
  }
  explicit basic_socket(const executor_type& ex)
    : ex_(ex), impl_(ex.context().impl()), protocol_(detail::unopened_protocol<Protocol>::get())
  {
  }
  basic_socket(io_context& ctx, const protocol_type& p) : basic_socket(ctx) { open(p); }
  basic_socket(const executor_type& ex, const protocol_type& p) : basic_socket(ex) { open(p); }
  basic_socket(io_context& ctx, const endpoint_type& ep) : basic_socket(ctx)
  {
    open(ep.protocol());
    bind(ep);
  }
  basic_socket(const executor_type& ex, const endpoint_type& ep) : basic_socket(ex)
  {
    open(ep.protocol());
    bind(ep);
  }
  basic_socket(io_context& ctx, const protocol_type& p, native_handle_type fd)
    : basic_socket(ctx)
  {
    assign(p, fd);
  }
  basic_socket(const executor_type& ex, const protocol_type& p, native_handle_type fd)
    : basic_socket(ex)
  {
    assign(p, fd);
  }
  basic_socket(basic_socket&& other) noexcept = default;
  basic_socket& operator=(basic_socket&& other) noexcept = default;

  executor_type get_executor() const noexcept { return ex_; }
  lowest_layer_type& lowest_layer() noexcept { return *this; }
  const lowest_layer_type& lowest_layer() const noexcept { return *this; }

  void open(const protocol_type& p = protocol_type())
  {
    boost::system::error_code ec;
    open(p, ec);
    detail::throw_error(ec, "open");
  }
  void open(const protocol_type& p, boost::system::error_code& ec)
  {
    impl_.open(p.family(), p.type(), p.protocol(), ec);
    if (!ec)
      protocol_ = p;
  }
  void assign(const protocol_type& p, native_handle_type fd)
  {
    boost::system::error_code ec;
    assign(p, fd, ec);
    detail::throw_error(ec, "assign");
  }
  void assign(const protocol_type& p, native_handle_type fd, boost::system::error_code& ec)
  {
    impl_.assign(p.family(), p.type(), p.protocol(), fd, ec);
    if (!ec)
      protocol_ = p;
  }
  bool is_open() const noexcept { return impl_.is_open(); }
  void close()
  {
    boost::system::error_code ec;
    close(ec);
    detail::throw_error(ec, "close");
  }
  void close(boost::system::error_code& ec) { impl_.close(ec); }
  native_handle_type release()
  {
    boost::system::error_code ec;
    int fd = release(ec);
    detail::throw_error(ec, "release");
    return fd;
  }
  native_handle_type release(boost::system::error_code& ec) { return impl_.release(ec); }
  native_handle_type native_handle() noexcept { return impl_.native_handle(); }

  void cancel()
  {
    boost::system::error_code ec;
    cancel(ec);
    detail::throw_error(ec, "cancel");
  }
  void cancel(boost::system::error_code& ec) { impl_.cancel(ec); }

  void bind(const endpoint_type& ep)
  {
    boost::system::error_code ec;
    bind(ep, ec);
    detail::throw_error(ec, "bind");
  }
  void bind(const endpoint_type& ep, boost::system::error_code& ec)
  {
    impl_.bind(ep.data(), static_cast<::socklen_t>(ep.size()), ec);
  }

  void connect(const endpoint_type& ep)
  {
    boost::system::error_code ec;
    connect(ep, ec);
    detail::throw_error(ec, "connect");
  }
  void connect(const endpoint_type& ep, boost::system::error_code& ec)
  {
    if (!is_open())
    {
      open(ep.protocol(), ec);
      if (ec)
        return;
    }
    impl_.connect(ep.data(), static_cast<::socklen_t>(ep.size()), ec);
  }

  // handler(error_code). Opens the socket first if needed, as Asio does.
  template <class ConnectHandler>
  auto async_connect(const endpoint_type& ep, ConnectHandler&& handler)
  {
    return async_initiate<ConnectHandler, void(boost::system::error_code)>(
        [this](auto&& h, const endpoint_type& ep) {
          using H = decltype(h);
          using op_t = detail::status_op<detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h), detail::io_kind::connect);
          if (!this->is_open())
          {
            boost::system::error_code ec;
            this->open(ep.protocol(), ec);
            if (ec)
            {
              this->impl_.post_immediate(o, ec);
              return;
            }
          }
          this->impl_.start_connect(o, ep.data(), static_cast<::socklen_t>(ep.size()));
        },
        handler, ep);
  }

  void wait(wait_type w)
  {
    boost::system::error_code ec;
    wait(w, ec);
    detail::throw_error(ec, "wait");
  }
  void wait(wait_type w, boost::system::error_code& ec) { impl_.wait(wait_kind(w), ec); }

  // handler(error_code) once the socket is ready for w.
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

  template <class SettableSocketOption>
  void set_option(const SettableSocketOption& o)
  {
    boost::system::error_code ec;
    set_option(o, ec);
    detail::throw_error(ec, "set_option");
  }
  template <class SettableSocketOption>
  void set_option(const SettableSocketOption& o, boost::system::error_code& ec)
  {
    set_option_impl(o, ec, detail::socket_option::is_library_option<SettableSocketOption>());
  }
  template <class GettableSocketOption>
  void get_option(GettableSocketOption& o) const
  {
    boost::system::error_code ec;
    get_option(o, ec);
    detail::throw_error(ec, "get_option");
  }
  template <class GettableSocketOption>
  void get_option(GettableSocketOption& o, boost::system::error_code& ec) const
  {
    get_option_impl(o, ec, detail::socket_option::is_library_option<GettableSocketOption>());
  }

  endpoint_type local_endpoint() const
  {
    boost::system::error_code ec;
    endpoint_type ep = local_endpoint(ec);
    detail::throw_error(ec, "local_endpoint");
    return ep;
  }
  endpoint_type local_endpoint(boost::system::error_code& ec) const
  {
    endpoint_type ep;
    std::size_t len = ep.capacity();
    impl_.local_endpoint(ep.data(), &len, ec);
    if (ec)
      return endpoint_type();
    ep.resize(len);
    return ep;
  }
  endpoint_type remote_endpoint() const
  {
    boost::system::error_code ec;
    endpoint_type ep = remote_endpoint(ec);
    detail::throw_error(ec, "remote_endpoint");
    return ep;
  }
  endpoint_type remote_endpoint(boost::system::error_code& ec) const
  {
    endpoint_type ep;
    std::size_t len = ep.capacity();
    impl_.remote_endpoint(ep.data(), &len, ec);
    if (ec)
      return endpoint_type();
    ep.resize(len);
    return ep;
  }

  void shutdown(shutdown_type what)
  {
    boost::system::error_code ec;
    shutdown(what, ec);
    detail::throw_error(ec, "shutdown");
  }
  void shutdown(shutdown_type what, boost::system::error_code& ec)
  {
    impl_.shutdown(static_cast<int>(what), ec);
  }

  bool non_blocking() const noexcept { return impl_.non_blocking(); }
  void non_blocking(bool mode)
  {
    boost::system::error_code ec;
    non_blocking(mode, ec);
    detail::throw_error(ec, "non_blocking");
  }
  void non_blocking(bool mode, boost::system::error_code& ec) { impl_.non_blocking(mode, ec); }

  std::size_t available() const
  {
    boost::system::error_code ec;
    std::size_t n = available(ec);
    detail::throw_error(ec, "available");
    return n;
  }
  std::size_t available(boost::system::error_code& ec) const { return impl_.available(ec); }

  // The mode of the descriptor itself. blitz-io keeps every descriptor O_NONBLOCK, so this
  // is true unless the caller cleared it (to hand native_handle() to code that expects a
  // blocking descriptor); the next asynchronous operation sets it again, as Asio does.
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

  // Whether the read position is at the out-of-band mark (sockatmark).
  bool at_mark() const
  {
    boost::system::error_code ec;
    bool r = at_mark(ec);
    detail::throw_error(ec, "at_mark");
    return r;
  }
  bool at_mark(boost::system::error_code& ec) const { return impl_.at_mark(ec); }

  // ioctl with an IoControlCommand (name(), data()), e.g. socket_base::bytes_readable.
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

protected:
  ~basic_socket() = default;

  static detail::io_kind wait_kind(wait_type w) noexcept
  {
    return w == wait_read ? detail::io_kind::wait_read
         : w == wait_write ? detail::io_kind::wait_write : detail::io_kind::wait_error;
  }

  executor_type ex_;
  detail::socket_impl impl_;
  // The protocol the socket was opened or assigned with. Options whose level or layout
  // depends on the address family (multicast, hops) and sockets made by accept() need
  // it; remembering it costs nothing, asking the kernel (SO_DOMAIN) a syscall.
  protocol_type protocol_;
  bool enable_connection_aborted_ = false;

private:
  template <class Option>
  void set_option_impl(const Option& o, boost::system::error_code& ec, std::true_type)
  {
    enable_connection_aborted_ = o.value();
    ec = boost::system::error_code();
  }
  template <class Option>
  void set_option_impl(const Option& o, boost::system::error_code& ec, std::false_type)
  {
    impl_.set_option(o.level(protocol_), o.name(protocol_), o.data(protocol_),
                     o.size(protocol_), ec);
  }
  template <class Option>
  void get_option_impl(Option& o, boost::system::error_code& ec, std::true_type) const
  {
    o = Option(enable_connection_aborted_);
    ec = boost::system::error_code();
  }
  template <class Option>
  void get_option_impl(Option& o, boost::system::error_code& ec, std::false_type) const
  {
    std::size_t len = o.size(protocol_);
    impl_.get_option(o.level(protocol_), o.name(protocol_), o.data(protocol_), &len, ec);
    if (!ec)
      o.resize(protocol_, len);
  }
};

} // namespace blitz

#endif
