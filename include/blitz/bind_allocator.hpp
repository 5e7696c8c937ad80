// bind_allocator: attaches an allocator to a handler; the operation's state is then
// allocated with it (Asio 1.79+).
#ifndef BLITZ_BIND_ALLOCATOR_HPP
#define BLITZ_BIND_ALLOCATOR_HPP

#include <blitz/async_result.hpp>
#include <blitz/associated_allocator.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/honoured_cancellation.hpp>

#include <type_traits>
#include <utility>

namespace blitz {

template <class T, class Allocator>
class allocator_binder
{
public:
  using target_type = T;
  using allocator_type = Allocator;

  template <class U>
  allocator_binder(const allocator_type& a, U&& u) : alloc_(a), target_(std::forward<U>(u))
  {
  }

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  allocator_type get_allocator() const noexcept { return alloc_; }

  template <class... Args>
  auto operator()(Args&&... args) -> decltype(std::declval<T&>()(std::forward<Args>(args)...))
  {
    return target_(std::forward<Args>(args)...);
  }

private:
  Allocator alloc_;
  T target_;
};

// The executor of the wrapped handler stays associated.
template <class T, class Allocator, class Executor>
struct associated_executor<allocator_binder<T, Allocator>, Executor>
{
  using type = associated_executor_t<T, Executor>;
  static type get(const allocator_binder<T, Allocator>& b, const Executor& e = Executor()) noexcept
  {
    return associated_executor<T, Executor>::get(b.get(), e);
  }
};

namespace detail {
template <class T, class A>
struct handler_deadline<allocator_binder<T, A>> : forwarded_handler_deadline<allocator_binder<T, A>>
{
};
template <class T, class A>
struct honoured_cancellation<allocator_binder<T, A>>
  : forwarded_honoured_cancellation<allocator_binder<T, A>>
{
};
} // namespace detail

template <class Allocator, class T>
allocator_binder<typename std::decay<T>::type, Allocator> bind_allocator(const Allocator& a, T&& t)
{
  return allocator_binder<typename std::decay<T>::type, Allocator>(a, std::forward<T>(t));
}

// A completion token in the binder (use_future, deferred, a token of the caller's own):
// the handler that token makes is bound the same way.
template <class T, class Allocator, class... Signatures>
class async_result<allocator_binder<T, Allocator>, Signatures...>
{
public:
  template <class Initiation, class RawToken, class... Args>
  static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
  {
    auto bound = token.get_allocator();
    return detail::initiate_wrapped<Signatures...>(
        std::forward<Initiation>(initiation), std::forward<RawToken>(token),
        [bound](auto&& handler) {
          return allocator_binder<typename std::decay<decltype(handler)>::type, Allocator>(
              bound, std::forward<decltype(handler)>(handler));
        },
        std::forward<Args>(args)...);
  }
};

} // namespace blitz

#endif
