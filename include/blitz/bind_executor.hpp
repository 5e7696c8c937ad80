// bind_executor: attaches an executor to a handler so its completion runs there (a strand,
// another io_context) instead of wherever the operation completed.
#ifndef BLITZ_BIND_EXECUTOR_HPP
#define BLITZ_BIND_EXECUTOR_HPP

#include <blitz/async_result.hpp>
#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/honoured_cancellation.hpp>

#include <type_traits>
#include <utility>

namespace blitz {

template <class T, class Executor>
class executor_binder
{
public:
  using target_type = T;
  using executor_type = Executor;

  template <class U>
  executor_binder(const executor_type& ex, U&& u) : ex_(ex), target_(std::forward<U>(u))
  {
  }

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  executor_type get_executor() const noexcept { return ex_; }

  template <class... Args>
  auto operator()(Args&&... args) -> decltype(std::declval<T&>()(std::forward<Args>(args)...))
  {
    return target_(std::forward<Args>(args)...);
  }

private:
  Executor ex_;
  T target_;
};

// The allocator of the wrapped handler stays associated.
template <class T, class Executor, class Allocator>
struct associated_allocator<executor_binder<T, Executor>, Allocator>
{
  using type = associated_allocator_t<T, Allocator>;
  static type get(const executor_binder<T, Executor>& b, const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<T, Allocator>::get(b.get(), a);
  }
};

template <class T, class Executor, class Slot>
struct associated_cancellation_slot<executor_binder<T, Executor>, Slot>
{
  using type = associated_cancellation_slot_t<T, Slot>;
  static type get(const executor_binder<T, Executor>& b, const Slot& s = Slot()) noexcept
  {
    return associated_cancellation_slot<T, Slot>::get(b.get(), s);
  }
};

namespace detail {
template <class T, class Executor>
struct handler_deadline<executor_binder<T, Executor>>
  : forwarded_handler_deadline<executor_binder<T, Executor>>
{
};
template <class T, class Executor>
struct honoured_cancellation<executor_binder<T, Executor>>
  : forwarded_honoured_cancellation<executor_binder<T, Executor>>
{
};
template <class T, class = void>
struct is_context_like : std::false_type
{
};
template <class T>
struct is_context_like<T, typename void_t_impl<decltype(std::declval<T&>().get_executor()),
                                               decltype(std::declval<T&>().run())>::type>
  : std::true_type
{
};
} // namespace detail

template <class Executor, class T>
typename std::enable_if<!detail::is_context_like<Executor>::value,
                        executor_binder<typename std::decay<T>::type, Executor>>::type
bind_executor(const Executor& ex, T&& t)
{
  return executor_binder<typename std::decay<T>::type, Executor>(ex, std::forward<T>(t));
}

template <class Context, class T>
typename std::enable_if<detail::is_context_like<Context>::value,
                        executor_binder<typename std::decay<T>::type,
                                        typename Context::executor_type>>::type
bind_executor(Context& ctx, T&& t)
{
  return executor_binder<typename std::decay<T>::type, typename Context::executor_type>(
      ctx.get_executor(), std::forward<T>(t));
}

// A completion token in the binder (use_future, deferred, a token of the caller's own):
// the handler that token makes is bound the same way.
template <class T, class Executor, class... Signatures>
class async_result<executor_binder<T, Executor>, Signatures...>
{
public:
  template <class Initiation, class RawToken, class... Args>
  static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
  {
    auto bound = token.get_executor();
    return detail::initiate_wrapped<Signatures...>(
        std::forward<Initiation>(initiation), std::forward<RawToken>(token),
        [bound](auto&& handler) {
          return executor_binder<typename std::decay<decltype(handler)>::type, Executor>(
              bound, std::forward<decltype(handler)>(handler));
        },
        std::forward<Args>(args)...);
  }
};

} // namespace blitz

#endif
