// See futex_condition.hpp for the protocol and why it loses no wakeup.
#include <blitz/detail/futex_condition.hpp>

#include <climits>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace {

// std::atomic<std::uint32_t> is a plain 32-bit word in memory on every Linux ABI; the
// kernel compares and sleeps on it.
std::uint32_t* word(std::atomic<std::uint32_t>& a) noexcept
{
  return reinterpret_cast<std::uint32_t*>(&a);
}

} // namespace

void futex_condition::wait_for(std::unique_lock<futex_mutex>& lock,
                               std::int64_t timeout_ns) noexcept
{
  // A deadline already behind the caller is a zero timeout, never "no timeout".
  if (timeout_ns < 0)
    timeout_ns = 0;
  ::timespec ts{};
  ts.tv_sec = static_cast<std::time_t>(timeout_ns / 1000000000);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1000000000);
  sleep(lock, &ts);
}

void futex_condition::sleep(std::unique_lock<futex_mutex>& lock, const void* timeout) noexcept
{
  // Both under the mutex, before it is released: a notifier that needs this thread to
  // see its change takes the mutex after this point, so it sees waiters_ raised and bumps
  // seq_ past the value read here. Relaxed: the mutex orders them against the notifier.
  waiters_.fetch_add(1, std::memory_order_relaxed);
  std::uint32_t seen = seq_.load(std::memory_order_relaxed);
  lock.unlock();
  // FUTEX_WAIT's timeout is relative, on CLOCK_MONOTONIC. EINTR, EAGAIN (seq_ moved) and
  // ETIMEDOUT all mean "look again", which the caller does.
  ::syscall(SYS_futex, word(seq_), FUTEX_WAIT_PRIVATE, seen, timeout, nullptr, 0);
  lock.lock();
  waiters_.fetch_sub(1, std::memory_order_relaxed);
}

void futex_condition::notify(int count) noexcept
{
  // Relaxed load: a waiter that matters raised waiters_ under the mutex before the
  // notifier's critical section (see sleep), so this load sees it. A waiter that comes
  // later reads the state after the notifier's change and does not sleep on it.
  if (waiters_.load(std::memory_order_relaxed) == 0)
    return;
  // Relaxed: the kernel's compare in FUTEX_WAIT reads the word under its own lock; only a
  // change of value matters, not its ordering with other memory.
  seq_.fetch_add(1, std::memory_order_relaxed);
  ::syscall(SYS_futex, word(seq_), FUTEX_WAKE_PRIVATE, count < 0 ? INT_MAX : count, nullptr,
            nullptr, 0);
}

} // namespace detail
} // namespace blitz
