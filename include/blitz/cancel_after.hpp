// cancel_after(duration, handler): a completion-handler wrapper giving an operation a
// deadline. If the operation has not completed when the duration (counted from the call to
// cancel_after) has passed, it completes with error::operation_aborted, as with Asio's
// cancel_after. io_uring enforces it in the kernel with an absolute IORING_OP_LINK_TIMEOUT
// linked to the operation's SQE; epoll with a wheel of parked operations' deadlines.
//
// Composed operations (async_read, async_write, async_read_until, range async_connect,
// async_compose and the rest) apply the deadline to the whole operation: every step
// inherits the same absolute deadline. Operations that are not socket, descriptor
// or file I/O (timer waits, posted handlers) ignore it.
#ifndef BLITZ_CANCEL_AFTER_HPP
#define BLITZ_CANCEL_AFTER_HPP

#include <blitz/async_result.hpp>
#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/scheduler.hpp>

#include <chrono>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace blitz {

template <class Handler>
class cancel_after_handler
{
public:
  using target_type = Handler;

  template <class H>
  cancel_after_handler(std::int64_t deadline_ns, H&& h)
    : deadline_ns_(deadline_ns), handler_(std::forward<H>(h))
  {
  }

  std::int64_t deadline_ns() const noexcept { return deadline_ns_; }
  Handler& get() noexcept { return handler_; }
  const Handler& get() const noexcept { return handler_; }

  template <class... Args>
  auto operator()(Args&&... args) -> decltype(std::declval<Handler&>()(std::forward<Args>(args)...))
  {
    return handler_(std::forward<Args>(args)...);
  }

private:
  std::int64_t deadline_ns_;
  Handler handler_;
};

template <class Rep, class Period, class Handler>
cancel_after_handler<typename std::decay<Handler>::type>
cancel_after(const std::chrono::duration<Rep, Period>& timeout, Handler&& h)
{
  using namespace std::chrono;
  std::int64_t now = detail::scheduler::now_ns();
  std::int64_t ns = timeout <= duration<Rep, Period>::zero()
                        ? 0
                        : static_cast<std::int64_t>(duration_cast<nanoseconds>(timeout).count());
  std::int64_t deadline = ns > INT64_MAX - now ? INT64_MAX : now + ns;
  return cancel_after_handler<typename std::decay<Handler>::type>(deadline,
                                                                  std::forward<Handler>(h));
}

// The wrapped handler keeps its executor, allocator and cancellation slot.
template <class H, class Executor>
struct associated_executor<cancel_after_handler<H>, Executor>
{
  using type = associated_executor_t<H, Executor>;
  static type get(const cancel_after_handler<H>& h, const Executor& e = Executor()) noexcept
  {
    return associated_executor<H, Executor>::get(h.get(), e);
  }
};
template <class H, class Allocator>
struct associated_allocator<cancel_after_handler<H>, Allocator>
{
  using type = associated_allocator_t<H, Allocator>;
  static type get(const cancel_after_handler<H>& h, const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<H, Allocator>::get(h.get(), a);
  }
};
template <class H, class Slot>
struct associated_cancellation_slot<cancel_after_handler<H>, Slot>
{
  using type = associated_cancellation_slot_t<H, Slot>;
  static type get(const cancel_after_handler<H>& h, const Slot& s = Slot()) noexcept
  {
    return associated_cancellation_slot<H, Slot>::get(h.get(), s);
  }
};

// A completion token in the binder (use_future, deferred, a token of the caller's own):
// the handler that token makes is bound the same way.
template <class T, class... Signatures>
class async_result<cancel_after_handler<T>, Signatures...>
{
public:
  template <class Initiation, class RawToken, class... Args>
  static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
  {
    auto bound = token.deadline_ns();
    return detail::initiate_wrapped<Signatures...>(
        std::forward<Initiation>(initiation), std::forward<RawToken>(token),
        [bound](auto&& handler) {
          return cancel_after_handler<typename std::decay<decltype(handler)>::type>(
              bound, std::forward<decltype(handler)>(handler));
        },
        std::forward<Args>(args)...);
  }
};

} // namespace blitz

#endif
