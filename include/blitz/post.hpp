// post / dispatch / defer as free functions on executors and execution contexts.
//   post:     always queued; never runs inside the call.
//   dispatch: runs inside the call when the caller is already running on the executor.
//   defer:    queued, as a continuation of the current handler (same as post here).
#ifndef BLITZ_POST_HPP
#define BLITZ_POST_HPP

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

} // namespace detail

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
post(const Executor& ex, Handler&& h)
{
  ex.post(std::forward<Handler>(h), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
post(Context& ctx, Handler&& h)
{
  ctx.get_executor().post(std::forward<Handler>(h), std::allocator<void>());
}

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
dispatch(const Executor& ex, Handler&& h)
{
  ex.dispatch(std::forward<Handler>(h), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
dispatch(Context& ctx, Handler&& h)
{
  ctx.get_executor().dispatch(std::forward<Handler>(h), std::allocator<void>());
}

template <class Executor, class Handler>
typename std::enable_if<detail::is_executor<Executor>::value>::type
defer(const Executor& ex, Handler&& h)
{
  ex.defer(std::forward<Handler>(h), std::allocator<void>());
}

template <class Context, class Handler>
typename std::enable_if<detail::is_execution_context<Context>::value>::type
defer(Context& ctx, Handler&& h)
{
  ctx.get_executor().defer(std::forward<Handler>(h), std::allocator<void>());
}

} // namespace blitz

#endif
