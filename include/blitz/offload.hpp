// offload(pool, fn, handler): runs fn() on a thread_pool and delivers its result, or the
// exception it threw, to handler back where the caller wants it.
//
//   blitz::offload(pool, [data] { return checksum(data); },
//                  [self](std::exception_ptr e, std::uint32_t sum) { self->reply(e, sum); });
//
// Handler signature: void(std::exception_ptr, T) where T is fn's decayed result type
// (default-constructed when fn threw), or void(std::exception_ptr) when fn returns void.
//
// Where the handler runs: its associated executor; else the strand (or io_context_pool
// context, or pool) the caller is running in; else the pool. See
// detail/completion_target.hpp for the exact rule. Inside a strand handler or with
// bind_executor(strand_or_ctx, h) the result therefore comes back on that strand / context,
// as an Asio user expects. The handler is never invoked inside offload() itself.
//
// Work: the target executor counts one unit of work from the call until the handler has
// been queued on it, so an io_context's run() does not return while an offload is in
// flight. If the pool is destroyed (or stopped and destroyed) before fn ran, the handler is
// destroyed without being invoked and that unit is given back.
//
// Memory: one op per offload, from the handler's associated allocator (the slab pool by
// default). The same block carries fn, the result and the handler there and back, and is
// freed just before the handler runs: allocated and freed on the calling thread, so the
// round trip reuses it without touching the heap.
#ifndef BLITZ_OFFLOAD_HPP
#define BLITZ_OFFLOAD_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/async_result.hpp>
#include <blitz/detail/completion_target.hpp>
#include <blitz/detail/strand_queue.hpp>
#include <blitz/strand.hpp>
#include <blitz/thread_pool.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class Fn, class Handler, class Target>
class offload_op final : public dual_op_base<offload_op<Fn, Handler, Target>>
{
public:
  using result_type = typename std::decay<decltype(std::declval<Fn&>()())>::type;

  template <class F, class H>
  offload_op(F&& f, H&& h, Target&& t)
    : fn_(std::forward<F>(f)), handler_(std::forward<H>(h)), target_(std::move(t))
  {
  }

private:
  friend class dual_op_base<offload_op>;

  // owner == nullptr: destroyed unrun (the pool or the target is being destroyed).
  // First completion: on a pool worker, computes and forwards. Second: on the target.
  static void do_complete(void* owner, offload_op* self)
  {
    if (!self->computed_)
    {
      if (!owner)
        return self->abandon();
      self->result_.compute(self->fn_);
      self->computed_ = true;
      self->deliver(raw_op_executor<Target>());
    }
    else if (!owner)
    {
      delete_op_with(self, get_associated_allocator(self->handler_));
    }
    else
    {
      self->invoke();
    }
  }

  void deliver(std::true_type)
  {
    Target t(std::move(target_));
    deliver_op(t, this); // `this` may be gone once this returns
  }

  void deliver(std::false_type)
  {
    Target t(std::move(target_));
    auto alloc = get_associated_allocator(handler_);
    auto completion = result_.take().bind(std::move(handler_));
    delete_op_with(this, alloc);
    deliver_function(t, std::move(completion), alloc);
  }

  void invoke()
  {
    auto alloc = get_associated_allocator(handler_);
    Handler handler(std::move(handler_));
    result_args<result_type> args = result_.take();
    delete_op_with(this, alloc);
    args.apply(handler);
  }

  void abandon() noexcept
  {
    Target t(std::move(target_));
    delete_op_with(this, get_associated_allocator(handler_));
    t.on_work_finished();
  }

  Fn fn_;
  Handler handler_;
  Target target_;
  bool computed_ = false;
  result_slot<result_type> result_;
};

template <class Fn, class Handler>
void start_offload(pool_core& pool, Fn&& fn, Handler&& handler)
{
  using fn_type = typename std::decay<Fn>::type;
  using handler_type = typename std::decay<Handler>::type;
  using target_of = completion_target<handler_type>;
  using target_type = typename target_of::type;
  using op_type = offload_op<fn_type, handler_type, target_type>;

  target_type target = target_of::get(handler, pool);
  target.on_work_started();
  op_type* o = nullptr;
  try
  {
    auto alloc = get_associated_allocator(handler);
    o = new_op_with<op_type>(alloc, std::forward<Fn>(fn), std::forward<Handler>(handler),
                             std::move(target));
  }
  catch (...)
  {
    target.on_work_finished();
    throw;
  }
  // On failure pool_post destroys the op, which gives the unit of work back.
  pool_post(pool, static_cast<op*>(o));
}

} // namespace detail

namespace detail {

template <class Result>
struct offload_signature
{
  using type = void(std::exception_ptr, Result);
};
template <>
struct offload_signature<void>
{
  using type = void(std::exception_ptr);
};
template <class Fn>
using offload_signature_t = typename offload_signature<
    typename std::decay<decltype(std::declval<typename std::decay<Fn>::type&>()())>::type>::type;

struct initiate_offload
{
  template <class Handler, class Fn>
  void operator()(Handler&& handler, pool_core* pool, Fn&& fn) const
  {
    start_offload(*pool, std::forward<Fn>(fn), std::forward<Handler>(handler));
  }
};

} // namespace detail

// Any completion token: offload(pool, fn, use_future) gives a future of fn's result that
// rethrows what fn threw.
template <class Fn, class Handler>
auto offload(thread_pool& pool, Fn&& fn, Handler&& handler)
{
  return async_initiate<Handler, detail::offload_signature_t<Fn>>(
      detail::initiate_offload(), handler, &pool.impl(), std::forward<Fn>(fn));
}
template <class Fn, class Handler>
auto offload(const thread_pool::executor_type& ex, Fn&& fn, Handler&& handler)
{
  return async_initiate<Handler, detail::offload_signature_t<Fn>>(
      detail::initiate_offload(), handler, &ex.context().impl(), std::forward<Fn>(fn));
}

} // namespace blitz

#endif
