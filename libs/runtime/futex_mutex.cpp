// The contended half of futex_mutex: spin while the holder is likely to finish within a few
// hundred nanoseconds, then sleep in the kernel.
#include <blitz/detail/cpu_relax.hpp>
#include <blitz/detail/futex_mutex.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace {

// The sections this lock guards are tens of instructions; on two cores a holder that is
// running finishes well within this many pauses (~3 us), while a holder that was preempted
// will not, and spinning then only burns the waiter's time slice.
constexpr int spin_limit = 100;

// std::atomic<int> is a plain int in memory on every Linux ABI; the kernel compares and
// sleeps on that word.
int* word(std::atomic<int>& a) noexcept { return reinterpret_cast<int*>(&a); }

} // namespace

void futex_mutex::lock_contended() noexcept
{
  for (int i = 0; i < spin_limit; ++i)
  {
    cpu_relax();
    int expected = 0;
    // Relaxed read first: hammering the line with CAS would slow the holder down.
    // Acquire on success, as in lock().
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(expected, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return;
  }
  // From here the word says 2 whenever this thread may sleep, so the holder's unlock wakes
  // it. Taking the lock this way leaves it at 2 even if no one else waits: one spare wake
  // call later, never a lost one. Acquire when the exchange finds the lock free.
  while (state_.exchange(2, std::memory_order_acquire) != 0)
    ::syscall(SYS_futex, word(state_), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
}

void futex_mutex::wake_one() noexcept
{
  ::syscall(SYS_futex, word(state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

} // namespace detail
} // namespace blitz
