// async_compose: writing an asynchronous operation as a function object that resumes itself,
// Asio's way, usable with every completion token.
//
//   struct read_header {
//     tcp::socket& s; char* buf; int state = 0;
//     template <class Self>
//     void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
//       if (state++ == 0) return s.async_read_some(buffer(buf, 4), std::move(self));
//       self.complete(ec, n);
//     }
//   };
//   return async_compose<Token, void(error_code, std::size_t)>(read_header{s, buf}, token, s);
//
// The implementation is called once with the `self` object alone when the operation starts,
// then once for each completion of an intermediate operation that was given `self` as its
// handler, with that completion's arguments. `self.complete(args...)` calls the caller's
// handler. As in Asio, complete() calls the handler at once: an operation that finishes
// inside its first call should post() itself first, so that the handler does not run
// inside the initiating function.
//
// `self` carries the caller's handler's associations: its executor (else the first I/O
// object's), allocator, cancellation slot (terminal requests reach the pending step;
// partial and total are ignored, Asio's default) and cancel_after deadline, so intermediate
// operations complete where the handler will run (a strand it was bound to). Until it
// completes, the operation holds work on the executor of every I/O object or executor given
// after the token, so a run() does not return while it is between steps. Not provided:
// the operation's own cancellation_state (self.cancelled(), reset_cancellation_state).
#ifndef BLITZ_ASYNC_COMPOSE_HPP
#define BLITZ_ASYNC_COMPOSE_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/async_result.hpp>
#include <blitz/detail/composed_op.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/honoured_cancellation.hpp>
#include <blitz/executor_work_guard.hpp>
#include <blitz/system_executor.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// Whether T is an I/O object (or a context), which has an executor, rather than an
// executor. Non-const: io_context::get_executor() is.
template <class T, class = void>
struct has_get_executor : std::false_type
{
};
template <class T>
struct has_get_executor<T, typename void_t_impl<decltype(std::declval<T&>().get_executor())>::type>
  : std::true_type
{
};

// An I/O object's executor, or the executor itself.
template <class T>
auto io_executor_of(T& t, std::true_type)
{
  return t.get_executor();
}
template <class T>
T io_executor_of(const T& t, std::false_type)
{
  return t;
}
template <class T>
auto io_executor_of(T& t)
{
  return io_executor_of(t, has_get_executor<typename std::remove_const<T>::type>());
}

template <class T>
using io_executor_t = decltype(io_executor_of(std::declval<T&>()));

template <class... Executors>
struct first_executor
{
  using type = system_executor;
};
template <class First, class... Rest>
struct first_executor<First, Rest...>
{
  using type = First;
};

// complete(), typed by the operation's signature as in Asio: `self.complete({}, 0)` names
// an error_code and a size, and each argument converts to the type the handler expects.
template <class Derived, class Signature>
class composed_completion;
template <class Derived, class... Args>
class composed_completion<Derived, void(Args...)>
{
public:
  void complete(Args... args) { static_cast<Derived*>(this)->finish(static_cast<Args&&>(args)...); }
};

} // namespace detail

// The `self` of an async_compose implementation.
template <class Implementation, class Handler, class Signature, class... Executors>
class composed_operation
  : public detail::composed_completion<
        composed_operation<Implementation, Handler, Signature, Executors...>, Signature>
{
  using io_executor = typename detail::first_executor<Executors...>::type;
  friend class detail::composed_completion<composed_operation, Signature>;
  friend struct detail::handler_deadline<composed_operation>;

public:
  using executor_type = associated_executor_t<Handler, io_executor>;
  using allocator_type = associated_allocator_t<Handler, std::allocator<void>>;
  using cancellation_slot_type = associated_cancellation_slot_t<Handler>;

  template <class I, class H>
  composed_operation(I&& impl, H&& handler, const Executors&... executors)
    : impl_(std::forward<I>(impl)), handler_(std::forward<H>(handler)),
      work_(executor_work_guard<Executors>(executors)...)
  {
  }
  composed_operation(composed_operation&&) = default;

  // Resumes the implementation with an intermediate operation's results.
  template <class... T>
  void operator()(T&&... results)
  {
    if (invocations_ < ~0u)
      ++invocations_;
    impl_(*this, std::forward<T>(results)...);
  }

  executor_type get_executor() const noexcept
  {
    return associated_executor<Handler, io_executor>::get(handler_, get_io_executor());
  }
  // The first I/O object's executor (system_executor when none was given).
  io_executor get_io_executor() const noexcept { return io_executor_or_default(); }
  allocator_type get_allocator() const noexcept { return get_associated_allocator(handler_); }
  cancellation_slot_type get_cancellation_slot() const noexcept
  {
    return get_associated_cancellation_slot(handler_);
  }
  // How many times the implementation has been called, the first call included.
  unsigned invocations() const noexcept { return invocations_; }

private:
  // Ends the operation: the work is released, then the caller's handler is called.
  template <class... T>
  void finish(T&&... results)
  {
    release_work(std::index_sequence_for<Executors...>());
    Handler handler(std::move(handler_));
    handler(std::forward<T>(results)...);
  }

  template <std::size_t... I>
  void release_work(std::index_sequence<I...>) noexcept
  {
    int ignored[] = {0, (std::get<I>(work_).reset(), 0)...};
    (void)ignored;
  }
  template <class E = io_executor>
  typename std::enable_if<(sizeof...(Executors) > 0), E>::type io_executor_or_default() const
  {
    return std::get<0>(work_).get_executor();
  }
  template <class E = io_executor>
  typename std::enable_if<sizeof...(Executors) == 0, E>::type io_executor_or_default() const
  {
    return E();
  }

  Implementation impl_;
  Handler handler_;
  std::tuple<executor_work_guard<Executors>...> work_;
  unsigned invocations_ = 0;
};

namespace detail {

// A cancel_after deadline on the caller's handler bounds every step.
template <class Implementation, class Handler, class Signature, class... Executors>
struct handler_deadline<composed_operation<Implementation, Handler, Signature, Executors...>>
{
  static std::int64_t
  get(const composed_operation<Implementation, Handler, Signature, Executors...>& o) noexcept
  {
    return handler_deadline<Handler>::get(o.handler_);
  }
};

// Terminal cancellation only, Asio's default for async_compose: a step already taken
// cannot be undone, so partial and total requests emitted on the caller's slot are ignored.
template <class Implementation, class Handler, class Signature, class... Executors>
struct honoured_cancellation<composed_operation<Implementation, Handler, Signature, Executors...>>
{
  static constexpr cancellation_type value =
      cancellation_type::terminal & honoured_cancellation<Handler>::value;
};

} // namespace detail

namespace detail {

template <class Implementation, class Signature, class... Executors>
class initiate_composed
{
public:
  template <class I>
  initiate_composed(I&& impl, const Executors&... executors)
    : impl_(std::forward<I>(impl)), executors_(executors...)
  {
  }

  // Callable once, on an lvalue too (a token's initiate() may call it so): the
  // implementation moves into the operation.
  template <class Handler>
  void operator()(Handler&& handler)
  {
    start(std::forward<Handler>(handler), std::index_sequence_for<Executors...>());
  }

private:
  template <class Handler, std::size_t... I>
  void start(Handler&& handler, std::index_sequence<I...>)
  {
    using self_type =
        composed_operation<Implementation, typename std::decay<Handler>::type, Signature, Executors...>;
    self_type self(std::move(impl_), std::forward<Handler>(handler), std::get<I>(executors_)...);
    self();
  }

  Implementation impl_;
  std::tuple<Executors...> executors_;
};

} // namespace detail

template <class CompletionToken, class Signature, class Implementation,
          class... IoObjectsOrExecutors>
auto async_compose(Implementation&& implementation,
                   typename std::remove_reference<CompletionToken>::type& token,
                   IoObjectsOrExecutors&&... io_objects_or_executors)
{
  return async_initiate<CompletionToken, Signature>(
      detail::initiate_composed<typename std::decay<Implementation>::type, Signature,
                                detail::io_executor_t<typename std::remove_reference<
                                    IoObjectsOrExecutors>::type>...>(
          std::forward<Implementation>(implementation),
          detail::io_executor_of(io_objects_or_executors)...),
      token);
}

} // namespace blitz

#endif
