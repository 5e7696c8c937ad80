// post / dispatch / defer as free functions on executors and execution contexts.
//   post:     always queued; never runs inside the call. From a handler of an io_context
//             that other threads run, and one of them sleeps, it goes to that thread.
//   dispatch: runs inside the call when the caller is already running on the executor.
//   defer:    queued, as a continuation of the current handler: on an io_context it runs
//             on the calling thread after the current handler (as post does elsewhere).
#ifndef BLITZ_POST_HPP
#define BLITZ_POST_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/async_result.hpp>
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

namespace detail {

// The three submissions, as initiations: the executor comes as an argument so that a plain
// handler submits through the caller's executor without copying it (a strand's copy is a
// reference count), and a deferred operation keeps a copy of its own.
struct initiate_post
{
  template <class Handler, class Executor>
  void operator()(Handler&& h, const Executor& ex) const
  {
    ex.post(to_submit(std::forward<Handler>(h)), std::allocator<void>());
  }
};
struct initiate_dispatch
{
  template <class Handler, class Executor>
  void operator()(Handler&& h, const Executor& ex) const
  {
    ex.dispatch(to_submit(std::forward<Handler>(h)), std::allocator<void>());
  }
};
struct initiate_defer
{
  template <class Handler, class Executor>
  void operator()(Handler&& h, const Executor& ex) const
  {
    ex.defer(to_submit(std::forward<Handler>(h)), std::allocator<void>());
  }
};

template <class T>
using if_executor = typename std::enable_if<is_executor<T>::value, int>::type;
template <class T>
using if_execution_context = typename std::enable_if<is_execution_context<T>::value, int>::type;

} // namespace detail

// handler() or any completion token for the signature void().
template <class Executor, class Handler, detail::if_executor<Executor> = 0>
auto post(const Executor& ex, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_post(), h, ex);
}

template <class Context, class Handler, detail::if_execution_context<Context> = 0>
auto post(Context& ctx, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_post(), h, ctx.get_executor());
}

template <class Executor, class Handler, detail::if_executor<Executor> = 0>
auto dispatch(const Executor& ex, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_dispatch(), h, ex);
}

template <class Context, class Handler, detail::if_execution_context<Context> = 0>
auto dispatch(Context& ctx, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_dispatch(), h, ctx.get_executor());
}

template <class Executor, class Handler, detail::if_executor<Executor> = 0>
auto defer(const Executor& ex, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_defer(), h, ex);
}

template <class Context, class Handler, detail::if_execution_context<Context> = 0>
auto defer(Context& ctx, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_defer(), h, ctx.get_executor());
}

} // namespace blitz

#endif
