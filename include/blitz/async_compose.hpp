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
// object's), allocator and cancellation slot, so intermediate operations complete where the
// handler will run (a strand it was bound to). Until it completes, the operation holds work
// on the executor of every I/O object or executor given after the token, so a run() does
// not return while it is between steps.
#ifndef BLITZ_ASYNC_COMPOSE_HPP
#define BLITZ_ASYNC_COMPOSE_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/async_result.hpp>
#include <blitz/executor_work_guard.hpp>
#include <blitz/system_executor.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

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
auto io_executor_of(T& t, std::true_type) -> decltype(t.get_executor())
{
  return t.get_executor();
}
template <class T>
const T& io_executor_of(const T& t, std::false_type)
{
  return t;
}
template <class T>
auto io_executor_of(T& t) -> typename std::decay<decltype(io_executor_of(
    t, has_get_executor<typename std::remove_const<T>::type>()))>::type
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

} // namespace detail

// The `self` of an async_compose implementation.
template <class Implementation, class Handler, class... Executors>
class composed_operation
{
  using io_executor = typename detail::first_executor<Executors...>::type;

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
    ++invocations_;
    impl_(*this, std::forward<T>(results)...);
  }

  // Ends the operation: the work is released, then the caller's handler is called.
  template <class... T>
  void complete(T&&... results)
  {
    release_work(std::index_sequence_for<Executors...>());
    Handler handler(std::move(handler_));
    handler(std::forward<T>(results)...);
  }

  executor_type get_executor() const noexcept
  {
    return associated_executor<Handler, io_executor>::get(handler_, io_executor_or_default());
  }
  allocator_type get_allocator() const noexcept { return get_associated_allocator(handler_); }
  cancellation_slot_type get_cancellation_slot() const noexcept
  {
    return get_associated_cancellation_slot(handler_);
  }
  // How many times the implementation has been called, the first call included.
  unsigned invocations() const noexcept { return invocations_; }

private:
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

template <class Implementation, class... Executors>
class initiate_composed
{
public:
  template <class I>
  initiate_composed(I&& impl, const Executors&... executors)
    : impl_(std::forward<I>(impl)), executors_(executors...)
  {
  }

  template <class Handler>
  void operator()(Handler&& handler) &&
  {
    start(std::forward<Handler>(handler), std::index_sequence_for<Executors...>());
  }

private:
  template <class Handler, std::size_t... I>
  void start(Handler&& handler, std::index_sequence<I...>)
  {
    composed_operation<Implementation, typename std::decay<Handler>::type, Executors...> self(
        std::move(impl_), std::forward<Handler>(handler), std::get<I>(executors_)...);
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
      detail::initiate_composed<typename std::decay<Implementation>::type,
                                detail::io_executor_t<typename std::remove_reference<
                                    IoObjectsOrExecutors>::type>...>(
          std::forward<Implementation>(implementation),
          detail::io_executor_of(io_objects_or_executors)...),
      token);
}

} // namespace blitz

#endif
