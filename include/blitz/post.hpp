// post / dispatch / defer as free functions on executors and execution contexts.
//   post:     always queued; never runs inside the call.
//   dispatch: runs inside the call when the caller is already running on the executor.
//   defer:    queued, as a continuation of the current handler (same as post here).
#ifndef BLITZ_POST_HPP
#define BLITZ_POST_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/io_context.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class...>
struct void_type
{
  using type = void;
};

// An execution context is anything with get_executor(); an executor is anything with a
// context() and a post member. Both are detected structurally so thread pools and strands
// added later work without touching these functions.
template <class T, class = void>
struct is_execution_context : std::false_type
{
};
template <class T>
struct is_execution_context<T, typename void_type<decltype(std::declval<T&>().get_executor()),
                                                  decltype(std::declval<T&>().run())>::type>
  : std::true_type
{
};

template <class T, class = void>
struct is_executor : std::false_type
{
};
template <class T>
struct is_executor<T, typename void_type<decltype(std::declval<const T&>().context()),
                                         decltype(std::declval<const T&>().on_work_started())>::type>
  : std::true_type
{
};

// Runs on the executor given to post/dispatch/defer, then hands the handler to its own
// associated executor (a strand it was bound to), as Asio does: post(ctx, bind_executor(
// strand, f)) queues on ctx but runs f inside the strand.
template <class Handler>
class work_dispatcher
{
public:
  template <class H>
  explicit work_dispatcher(H&& h) : handler_(std::forward<H>(h))
  {
  }
  void operator()() { invoke_handler(handler_); }

  // The op memory still comes from the handler's allocator.
  using allocator_type = associated_allocator_t<Handler>;
  allocator_type get_allocator() const noexcept { return get_associated_allocator(handler_); }

private:
  Handler handler_;
};

// The handler itself when it names no executor, else the dispatcher around it.
template <class Handler>
typename std::enable_if<!names_executor<typename std::decay<Handler>::type>::value, Handler&&>::type
to_submit(Handler&& h) noexcept
{
  return std::forward<Handler>(h);
}
template <class Handler>
typename std::enable_if<names_executor<typename std::decay<Handler>::type>::value,
                        work_dispatcher<typename std::decay<Handler>::type>>::type
to_submit(Handler&& h)
{
  return work_dispatcher<typename std::decay<Handler>::type>(std::forward<Handler>(h));
}

} // namespace detail

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
post(const Executor& ex, Handler&& h)
{
  ex.post(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
post(Context& ctx, Handler&& h)
{
  ctx.get_executor().post(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
dispatch(const Executor& ex, Handler&& h)
{
  ex.dispatch(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
dispatch(Context& ctx, Handler&& h)
{
  ctx.get_executor().dispatch(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
defer(const Executor& ex, Handler&& h)
{
  ex.defer(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
defer(Context& ctx, Handler&& h)
{
  ctx.get_executor().defer(detail::to_submit(std::forward<Handler>(h)), std::allocator<void>());
}

} // namespace blitz

#endif
