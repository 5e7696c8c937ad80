// basic_socket_acceptor: a listening socket (Asio's basic_socket_acceptor).
#ifndef BLITZ_BASIC_SOCKET_ACCEPTOR_HPP
#define BLITZ_BASIC_SOCKET_ACCEPTOR_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_socket.hpp>
#include <blitz/detail/pool_ops.hpp>

namespace blitz {

template <class Protocol, class Executor = io_context::executor_type>
class basic_socket_acceptor : public basic_socket<Protocol, Executor>
{
  using base = basic_socket<Protocol, Executor>;

public:
  using typename base::executor_type;
  using typename base::protocol_type;
  using typename base::endpoint_type;
  using socket_type = typename Protocol::socket;

  explicit basic_socket_acceptor(io_context& ctx) : base(ctx) {}
  explicit basic_socket_acceptor(const executor_type& ex) : base(ex) {}
  basic_socket_acceptor(io_context& ctx, const protocol_type& p) : base(ctx, p) {}
  basic_socket_acceptor(const executor_type& ex, const protocol_type& p) : base(ex, p) {}
  // Open, set reuse_address (unless told not to), bind and listen: Asio's convenience form.
  basic_socket_acceptor(io_context& ctx, const endpoint_type& ep, bool reuse_addr = true)
    : base(ctx)
  {
    open_bind_listen(ep, reuse_addr);
  }
  basic_socket_acceptor(const executor_type& ex, const endpoint_type& ep, bool reuse_addr = true)
    : base(ex)
  {
    open_bind_listen(ep, reuse_addr);
  }
  basic_socket_acceptor(io_context& ctx, const protocol_type& p, int fd) : base(ctx, p, fd) {}
  basic_socket_acceptor(const executor_type& ex, const protocol_type& p, int fd)
    : base(ex, p, fd)
  {
  }
  basic_socket_acceptor(basic_socket_acceptor&&) noexcept = default;
  basic_socket_acceptor& operator=(basic_socket_acceptor&&) noexcept = default;

  void listen(int backlog = socket_base::max_listen_connections)
  {
    boost::system::error_code ec;
    listen(backlog, ec);
    detail::throw_error(ec, "listen");
  }
  void listen(int backlog, boost::system::error_code& ec) { this->impl_.listen(backlog, ec); }

  template <class Socket>
  void accept(Socket& peer)
  {
    boost::system::error_code ec;
    accept(peer, ec);
    detail::throw_error(ec, "accept");
  }
  template <class Socket>
  void accept(Socket& peer, boost::system::error_code& ec)
  {
    do_accept(peer, nullptr, ec);
  }
  template <class Socket>
  void accept(Socket& peer, endpoint_type& peer_ep)
  {
    boost::system::error_code ec;
    accept(peer, peer_ep, ec);
    detail::throw_error(ec, "accept");
  }
  template <class Socket>
  void accept(Socket& peer, endpoint_type& peer_ep, boost::system::error_code& ec)
  {
    do_accept(peer, &peer_ep, ec);
  }
  socket_type accept()
  {
    boost::system::error_code ec;
    socket_type s = accept(ec);
    detail::throw_error(ec, "accept");
    return s;
  }
  socket_type accept(boost::system::error_code& ec)
  {
    socket_type s(this->ex_.context());
    do_accept(s, nullptr, ec);
    return s;
  }
  socket_type accept(io_context& ctx, boost::system::error_code& ec)
  {
    socket_type s(ctx);
    do_accept(s, nullptr, ec);
    return s;
  }

  // handler(error_code): the connection is assigned to peer, which must stay alive and
  // closed until then (already_open otherwise, as in Asio).
  template <class Socket, class AcceptHandler>
  auto async_accept(Socket& peer, AcceptHandler&& handler)
  {
    return async_initiate<AcceptHandler, void(boost::system::error_code)>(
        [this, &peer](auto&& h) {
          using H = decltype(h);
          this->start_accept_into(peer, static_cast<endpoint_type*>(nullptr),
                            std::forward<H>(h));
        },
        handler);
  }
  template <class Socket, class AcceptHandler>
  auto async_accept(Socket& peer, endpoint_type& peer_ep, AcceptHandler&& handler)
  {
    return async_initiate<AcceptHandler, void(boost::system::error_code)>(
        [this, &peer, &peer_ep](auto&& h) {
          using H = decltype(h);
          this->start_accept_into(peer, &peer_ep, std::forward<H>(h));
        },
        handler);
  }

  // handler(error_code, socket_type): the move-accept form.
  template <class MoveAcceptHandler>
  auto async_accept(MoveAcceptHandler&& handler)
  {
    return async_accept(this->ex_.context(), std::forward<MoveAcceptHandler>(handler));
  }
  // handler(error_code, socket_type) with the new socket on another context (a pool).
  template <class MoveAcceptHandler>
  auto async_accept(io_context& ctx, MoveAcceptHandler&& handler)
  {
    return async_initiate<MoveAcceptHandler, void(boost::system::error_code, socket_type)>(
        [this, &ctx](auto&& h) {
          using H = decltype(h);
          using op_t = detail::move_accept_op<socket_type, io_context,
                                              detail::decay_handler_t<H>>;
          this->impl_.start_op(detail::new_handler_op<op_t>(
              std::forward<H>(h), this->accepted_protocol(), ctx));
        },
        handler);
  }

  // Beyond Asio: one operation accepts every connection to come. handler(error_code,
  // socket_type) runs once per connection, never concurrently with itself, until an error
  // ends the operation: operation_aborted after cancel() or close(), or what the kernel
  // reports (EMFILE, ...); that call is the last. On io_uring this is a single multishot
  // accept that is re-armed unseen if the kernel ends it early; on epoll the same contract is
  // emulated. A handler with an associated executor must be copyable (each call gets a copy).
  template <class MoveAcceptHandler>
  void async_accept_multishot(MoveAcceptHandler&& handler)
  {
    async_accept_multishot(this->ex_.context(), std::forward<MoveAcceptHandler>(handler));
  }
  // The same, with each new socket on another context (a pool).
  template <class MoveAcceptHandler>
  void async_accept_multishot(io_context& ctx, MoveAcceptHandler&& handler)
  {
    using op_t = detail::multishot_accept_op<socket_type, io_context,
                                             detail::decay_handler_t<MoveAcceptHandler>>;
    this->impl_.start_op(detail::new_handler_op<op_t>(
        std::forward<MoveAcceptHandler>(handler), accepted_protocol(), ctx));
  }

private:
  void open_bind_listen(const endpoint_type& ep, bool reuse_addr)
  {
    this->open(ep.protocol());
    if (reuse_addr)
      this->set_option(socket_base::reuse_address(true));
    this->bind(ep);
    listen();
  }

  template <class Socket>
  void do_accept(Socket& peer, endpoint_type* peer_ep, boost::system::error_code& ec)
  {
    if (peer.is_open())
    {
      ec = error::already_open;
      return;
    }
    endpoint_type addr;
    std::size_t len = addr.capacity();
    int fd = this->impl_.accept(peer_ep ? addr.data() : nullptr, peer_ep ? &len : nullptr, ec);
    if (fd < 0)
      return;
    peer.assign(accepted_protocol(), fd, ec);
    if (ec)
    {
      detail::close_orphan(fd);
      return;
    }
    if (peer_ep)
    {
      addr.resize(len);
      *peer_ep = addr;
    }
  }

  template <class Socket, class Handler>
  void start_accept_into(Socket& peer, endpoint_type* peer_ep, Handler&& handler)
  {
    using op_t = detail::accept_into_op<Socket, endpoint_type, detail::decay_handler_t<Handler>>;
    op_t* o = detail::new_handler_op<op_t>(std::forward<Handler>(handler), accepted_protocol(), peer,
                                               peer_ep);
    if (peer.is_open())
      this->impl_.post_immediate(o, error::already_open);
    else
      this->impl_.start_op(o);
  }

  // An accepted socket has the listener's family (a v4 peer of a dual-stack v6 listener
  // arrives as a v4-mapped AF_INET6 socket), so the acceptor's own protocol is exact and
  // costs no getsockname per connection.
  protocol_type accepted_protocol() const { return this->protocol_; }
};

} // namespace blitz

#endif
