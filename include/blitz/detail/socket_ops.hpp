// Handler-typed socket ops. Each one is an io_op (the generic description the backends
// execute) plus the user's handler and whatever the completion must produce (a connected
// peer socket, an endpoint).
#ifndef BLITZ_DETAIL_SOCKET_OPS_HPP
#define BLITZ_DETAIL_SOCKET_OPS_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/buffer_iov.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/slab_pool.hpp>

#include <unistd.h>
#include <utility>

namespace blitz {
namespace detail {

// Copies up to io_op::max_iov non-empty buffers of seq into o; returns the total byte
// count. *left_over as in to_iovecs.
template <class BufferSequence>
std::size_t fill_iov(io_op* o, const BufferSequence& seq, bool* left_over = nullptr)
{
  o->iov_count_ = static_cast<std::uint8_t>(to_iovecs(seq, o->iov_, io_op::max_iov, left_over));
  return o->buffer_bytes();
}

// read_some / write_some / receive / send: handler(error_code, std::size_t).
template <class Handler>
class transfer_op final : private handler_first<Handler>, public io_op
{
public:
  template <class H>
  transfer_op(io_kind k, H&& h)
    : handler_first<Handler>(std::forward<H>(h)), io_op(&transfer_op::do_complete, k)
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    transfer_op* self = static_cast<transfer_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    std::size_t n = self->bytes_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (owner)
      invoke_handler(handler, ec, n);
  }
};

// connect / wait: handler(error_code).
template <class Handler>
class status_op final : private handler_first<Handler>, public io_op
{
public:
  template <class H>
  status_op(io_kind k, H&& h)
    : handler_first<Handler>(std::forward<H>(h)), io_op(&status_op::do_complete, k)
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    status_op* self = static_cast<status_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (owner)
      invoke_handler(handler, ec);
  }
};

// send_to: handler(error_code, std::size_t). The destination is copied into the op because
// the kernel reads it when the op is issued or retried, long after the caller's endpoint
// may have gone (Asio copies it too).
template <class Endpoint, class Handler>
class send_to_op final : public io_op
{
public:
  template <class H>
  send_to_op(const Endpoint& dest, H&& h)
    : io_op(&send_to_op::do_complete, io_kind::send_to), dest_(dest), handler_(std::forward<H>(h))
  {
    addr_ = dest_.data();
    addrlen_ = static_cast<::socklen_t>(dest_.size());
  }

private:
  static void do_complete(void* owner, op* base)
  {
    send_to_op* self = static_cast<send_to_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    std::size_t n = self->bytes_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (owner)
      invoke_handler(handler, ec, n);
  }

  Endpoint dest_;
  Handler handler_;
};

// receive_from: handler(error_code, std::size_t). The kernel writes the sender into the
// op's own storage; the caller's endpoint (which must outlive the op, as in Asio) is
// assigned only on success, so a cancelled receive leaves it untouched.
template <class Endpoint, class Handler>
class receive_from_op final : public io_op
{
public:
  template <class H>
  receive_from_op(Endpoint& sender, H&& h)
    : io_op(&receive_from_op::do_complete, io_kind::recv_from), sender_(sender),
      handler_(std::forward<H>(h))
  {
    addr_ = storage_.data();
    addrlen_ = static_cast<::socklen_t>(storage_.capacity());
  }

private:
  static void do_complete(void* owner, op* base)
  {
    receive_from_op* self = static_cast<receive_from_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    std::size_t n = self->bytes_;
    Endpoint& sender = self->sender_;
    Endpoint from = self->storage_;
    std::size_t fromlen = self->addrlen_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (!owner)
      return;
    if (!ec)
    {
      from.resize(fromlen);
      sender = from;
    }
    invoke_handler(handler, ec, n);
  }

  Endpoint& sender_;
  Endpoint storage_;
  Handler handler_;
};

// Closes an accepted descriptor nobody took ownership of (the op was destroyed, or handing
// it to the peer socket failed): it must not leak.
inline void close_orphan(int fd) noexcept
{
  if (fd >= 0)
    ::close(fd);
}

// Hands an accepted descriptor to peer. One the socket cannot take (its registration with
// the backend failed) is closed, and ec says why: that connection's error.
template <class Socket>
void adopt_accepted(Socket& peer, const typename Socket::protocol_type& proto, int fd,
                    boost::system::error_code& ec)
{
  peer.assign(proto, fd, ec);
  if (ec)
    close_orphan(fd);
}

// accept into an existing socket object: handler(error_code).
template <class Socket, class Endpoint, class Handler>
class accept_into_op final : public io_op
{
public:
  template <class H>
  accept_into_op(const typename Socket::protocol_type& proto, Socket& peer, Endpoint* peer_ep,
                 H&& h)
    : io_op(&accept_into_op::do_complete, io_kind::accept), proto_(proto), peer_(peer),
      peer_ep_(peer_ep), handler_(std::forward<H>(h))
  {
    addr_ = peer_ep_ ? addr_storage_.data() : nullptr;
    addrlen_ = static_cast<::socklen_t>(addr_storage_.capacity());
  }

private:
  static void do_complete(void* owner, op* base)
  {
    accept_into_op* self = static_cast<accept_into_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    int fd = self->ec_ ? -1 : self->new_fd_;
    Socket& peer = self->peer_;
    typename Socket::protocol_type proto = self->proto_;
    Endpoint* peer_ep = self->peer_ep_;
    Endpoint addr = self->addr_storage_;
    std::size_t addrlen = self->addrlen_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (!owner)
    {
      close_orphan(fd);
      return;
    }
    if (fd >= 0)
    {
      adopt_accepted(peer, proto, fd, ec);
      if (!ec && peer_ep)
      {
        addr.resize(addrlen);
        *peer_ep = addr;
      }
    }
    invoke_handler(handler, ec);
  }

  typename Socket::protocol_type proto_;
  Socket& peer_;
  Endpoint* peer_ep_;
  Endpoint addr_storage_;
  Handler handler_;
};

// Move-accept: handler(error_code, Socket) with a new socket on the given context.
template <class Socket, class Context, class Handler>
class move_accept_op final : public io_op
{
public:
  template <class H>
  move_accept_op(const typename Socket::protocol_type& proto, Context& ctx, H&& h)
    : io_op(&move_accept_op::do_complete, io_kind::accept), proto_(proto), ctx_(ctx),
      handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    move_accept_op* self = static_cast<move_accept_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    int fd = self->ec_ ? -1 : self->new_fd_;
    Context& ctx = self->ctx_;
    typename Socket::protocol_type proto = self->proto_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (!owner)
    {
      close_orphan(fd);
      return;
    }
    Socket peer(ctx);
    if (fd >= 0)
      adopt_accepted(peer, proto, fd, ec);
    invoke_handler(handler, ec, std::move(peer));
  }

  typename Socket::protocol_type proto_;
  Context& ctx_;
  Handler handler_;
};

} // namespace detail
} // namespace blitz

#endif
