// The wakeup both backends use to interrupt a reaper asleep in the kernel: an eventfd that
// the reaper waits on (an armed read on io_uring, a registration on epoll), written at most
// once between two of its wakeups.
#ifndef BLITZ_DETAIL_EVENTFD_WAKEUP_HPP
#define BLITZ_DETAIL_EVENTFD_WAKEUP_HPP

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <unistd.h>

namespace blitz {
namespace detail {

// Writes to event_fd unless a write since the reaper's last wakeup is still unseen
// (`pending`, which the reaper clears once it has consumed the counter). An interrupter
// that finds `pending` set knows that the write it coalesces with will be observed by the
// reaper. The eventfd counter persists, so a write that precedes the reaper's wait still
// wakes it. seq_cst: what the interrupter hands over must reach a reaper that cleared
// `pending` just before; through a mutex both take it does, but through an atomic flag
// (epoll's starve_wake_) that is a store-then-load on each side, which only a total order
// over the four accesses keeps from missing both ways. On x86 the exchange is the same
// locked instruction either way.
inline void wake_reaper(std::atomic<bool>& pending, int event_fd) noexcept
{
  if (pending.exchange(true, std::memory_order_seq_cst))
    return;
  std::uint64_t one = 1;
  ssize_t r;
  do
    r = ::write(event_fd, &one, sizeof(one));
  while (r < 0 && errno == EINTR);
}

} // namespace detail
} // namespace blitz

#endif
