// A condition variable for futex_mutex: one futex word that counts notifications.
//
// Why: the scheduler's mutex_ is taken twice per blocking wait, which at one connection is
// once per round trip, and it was a std::mutex only because std::condition_variable needs
// one (about 110 instructions per round trip for the two glibc lock pairs, callgrind).
// With this, mutex_ is a futex_mutex too. The scheme is the one Rust's standard library
// uses on Linux: a waiter reads the counter while it still holds the mutex, releases the
// mutex and sleeps only if the counter has not moved since; a notifier bumps the counter
// and wakes. A notifier changes the waited-for state under the mutex, so either the waiter
// saw the change before it read the counter, or the notifier took the mutex after the
// waiter released it and its bump comes later than the value the waiter read: the kernel's
// compare then fails, or the wake finds the waiter asleep. No wakeup is lost; spurious ones
// are allowed, as for std::condition_variable, and every caller waits in a loop.
//
// Notifications make a futex syscall only while some thread waits (waiters_), so notifying
// an empty condition costs one atomic load, as with glibc's.
#ifndef BLITZ_DETAIL_FUTEX_CONDITION_HPP
#define BLITZ_DETAIL_FUTEX_CONDITION_HPP

#include <blitz/detail/futex_mutex.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace blitz {
namespace detail {

class futex_condition
{
public:
  futex_condition() noexcept = default;
  futex_condition(const futex_condition&) = delete;
  futex_condition& operator=(const futex_condition&) = delete;

  // Release the lock, sleep until notified (or spuriously; wait_for also after timeout_ns,
  // at once when that is not positive), and retake the lock.
  void wait(std::unique_lock<futex_mutex>& lock) noexcept { sleep(lock, nullptr); }
  void wait_for(std::unique_lock<futex_mutex>& lock, std::int64_t timeout_ns) noexcept;
  void notify_one() noexcept { notify(1); }
  void notify_all() noexcept { notify(-1); }

private:
  void sleep(std::unique_lock<futex_mutex>& lock, const void* timeout) noexcept;
  void notify(int count) noexcept;

  std::atomic<std::uint32_t> seq_{0};
  std::atomic<int> waiters_{0};
};

} // namespace detail
} // namespace blitz

#endif
