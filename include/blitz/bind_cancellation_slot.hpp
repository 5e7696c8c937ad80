// bind_cancellation_slot: attaches a cancellation slot to a handler; emitting the slot's
// signal cancels the operation the handler waits for.
#ifndef BLITZ_BIND_CANCELLATION_SLOT_HPP
#define BLITZ_BIND_CANCELLATION_SLOT_HPP

#include <blitz/async_result.hpp>
#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/honoured_cancellation.hpp>

#include <type_traits>
#include <utility>

namespace blitz {

template <class T, class CancellationSlot>
class cancellation_slot_binder
{
public:
  using target_type = T;
  using cancellation_slot_type = CancellationSlot;

  template <class U>
  cancellation_slot_binder(const cancellation_slot_type& s, U&& u)
    : slot_(s), target_(std::forward<U>(u))
  {
  }

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }

  template <class... Args>
  auto operator()(Args&&... args) -> decltype(std::declval<T&>()(std::forward<Args>(args)...))
  {
    return target_(std::forward<Args>(args)...);
  }

private:
  CancellationSlot slot_;
  T target_;
};

// The wrapped handler keeps its executor and allocator.
template <class T, class S, class Executor>
struct associated_executor<cancellation_slot_binder<T, S>, Executor>
{
  using type = associated_executor_t<T, Executor>;
  static type get(const cancellation_slot_binder<T, S>& b, const Executor& e = Executor()) noexcept
  {
    return associated_executor<T, Executor>::get(b.get(), e);
  }
};
template <class T, class S, class Allocator>
struct associated_allocator<cancellation_slot_binder<T, S>, Allocator>
{
  using type = associated_allocator_t<T, Allocator>;
  static type get(const cancellation_slot_binder<T, S>& b, const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<T, Allocator>::get(b.get(), a);
  }
};

namespace detail {
template <class T, class S>
struct handler_deadline<cancellation_slot_binder<T, S>>
  : forwarded_handler_deadline<cancellation_slot_binder<T, S>>
{
};
template <class T, class S>
struct honoured_cancellation<cancellation_slot_binder<T, S>>
  : forwarded_honoured_cancellation<cancellation_slot_binder<T, S>>
{
};
} // namespace detail

template <class CancellationSlot, class T>
cancellation_slot_binder<typename std::decay<T>::type, CancellationSlot>
bind_cancellation_slot(const CancellationSlot& s, T&& t)
{
  return cancellation_slot_binder<typename std::decay<T>::type, CancellationSlot>(
      s, std::forward<T>(t));
}

// A completion token in the binder (use_future, deferred, a token of the caller's own):
// the handler that token makes is bound the same way.
template <class T, class CancellationSlot, class... Signatures>
class async_result<cancellation_slot_binder<T, CancellationSlot>, Signatures...>
{
public:
  template <class Initiation, class RawToken, class... Args>
  static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
  {
    auto bound = token.get_cancellation_slot();
    return detail::initiate_wrapped<Signatures...>(
        std::forward<Initiation>(initiation), std::forward<RawToken>(token),
        [bound](auto&& handler) {
          return cancellation_slot_binder<typename std::decay<decltype(handler)>::type, CancellationSlot>(
              bound, std::forward<decltype(handler)>(handler));
        },
        std::forward<Args>(args)...);
  }
};

} // namespace blitz

#endif
