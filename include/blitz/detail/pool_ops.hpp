// Handler-typed ops beyond Asio: receives into pool buffers, multishot receive and accept.
#ifndef BLITZ_DETAIL_POOL_OPS_HPP
#define BLITZ_DETAIL_POOL_OPS_HPP

#include <blitz/buffer_pool.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/multishot_op.hpp>
#include <blitz/detail/socket_ops.hpp>
#include <blitz/error.hpp>

#include <utility>

namespace blitz {
namespace detail {

// A result as a multishot handler sees it: 0 bytes is eof, as for any stream read.
inline boost::system::error_code multishot_error(int res) noexcept
{
  if (res < 0)
    return boost::system::error_code(-res, boost::system::system_category());
  return boost::system::error_code();
}

// Points o at pool p: no buffer of its own, the pool's buffer length for the eof rule.
inline void use_pool(io_op* o, buffer_pool_impl* p) noexcept
{
  o->pool_ = p;
  o->iov_count_ = 1;
  o->iov_[0].iov_base = nullptr;
  o->iov_[0].iov_len = p->buffer_size();
}

// async_receive(pool, handler): handler(error_code, pooled_buffer).
template <class Handler>
class pooled_receive_op final : private handler_first<Handler>, public io_op
{
public:
  template <class H>
  pooled_receive_op(buffer_pool_impl* p, H&& h)
    : handler_first<Handler>(std::forward<H>(h)),
      io_op(&pooled_receive_op::do_complete, io_kind::recv), ref_(p)
  {
    use_pool(this, p);
  }

private:
  static void do_complete(void* owner, op* base)
  {
    pooled_receive_op* self = static_cast<pooled_receive_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    std::size_t n = self->bytes_;
    std::int32_t id = self->buffer_id_;
    pool_ref ref(std::move(self->ref_));
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    pooled_buffer b;
    if (id >= 0)
      b = pooled_buffer::adopt(ref.detach(), id, n);
    if (owner)
      invoke_handler(handler, ec, std::move(b));
  }

  pool_ref ref_;
};

// async_receive_multishot(pool, handler): handler(error_code, pooled_buffer) per chunk; an
// error (eof included) is the last call.
template <class Handler>
class multishot_receive_op final : public multishot_op
{
public:
  template <class H>
  multishot_receive_op(buffer_pool_impl* p, H&& h)
    : multishot_op(io_kind::recv, &multishot_receive_op::invoke, &multishot_receive_op::release),
      ref_(p), handler_(std::forward<H>(h))
  {
    use_pool(this, p);
  }

private:
  static void invoke(multishot_op* base, const result& r)
  {
    multishot_receive_op* self = static_cast<multishot_receive_op*>(base);
    boost::system::error_code ec = multishot_error(r.res);
    if (r.res == 0)
      ec = error::eof;
    pooled_buffer b;
    if (r.buffer >= 0)
    {
      self->ref_->add_ref(); // the handle's own reference
      b = pooled_buffer::adopt(self->ref_.get(), r.buffer, static_cast<std::size_t>(r.res));
    }
    if (r.final)
      disconnect_cancellation(self->handler_);
    invoke_handler_keep(self->handler_, ec, std::move(b));
  }

  static void release(multishot_op* base, const result* r)
  {
    multishot_receive_op* self = static_cast<multishot_receive_op*>(base);
    if (r)
    {
      if (r->buffer >= 0)
        self->ref_->give_back(r->buffer);
      return;
    }
    auto alloc = get_associated_allocator(self->handler_);
    delete_op_with(self, alloc);
  }

  pool_ref ref_;
  Handler handler_;
};

// async_accept_multishot(handler): handler(error_code, Socket) per connection; an error
// from the kernel (operation_aborted after cancel or close, EMFILE, ...) is the last call.
template <class Socket, class Context, class Handler>
class multishot_accept_op final : public multishot_op
{
public:
  template <class H>
  multishot_accept_op(const typename Socket::protocol_type& proto, Context& ctx, H&& h)
    : multishot_op(io_kind::accept, &multishot_accept_op::invoke, &multishot_accept_op::release),
      proto_(proto), ctx_(ctx), handler_(std::forward<H>(h))
  {
  }

private:
  static void invoke(multishot_op* base, const result& r)
  {
    multishot_accept_op* self = static_cast<multishot_accept_op*>(base);
    boost::system::error_code ec = multishot_error(r.res);
    Socket peer(self->ctx_);
    if (r.res >= 0)
      adopt_accepted(peer, self->proto_, r.res, ec); // an error ends this call only
    if (r.final)
      disconnect_cancellation(self->handler_);
    invoke_handler_keep(self->handler_, ec, std::move(peer));
  }

  static void release(multishot_op* base, const result* r)
  {
    multishot_accept_op* self = static_cast<multishot_accept_op*>(base);
    if (r)
    {
      if (r->res >= 0)
        close_orphan(r->res);
      return;
    }
    auto alloc = get_associated_allocator(self->handler_);
    delete_op_with(self, alloc);
  }

  typename Socket::protocol_type proto_;
  Context& ctx_;
  Handler handler_;
};

} // namespace detail
} // namespace blitz

#endif
