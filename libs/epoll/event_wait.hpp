// The epoll backend's blocking wait, with a timeout in nanoseconds.
//
// epoll_wait counts its timeout in whole milliseconds and the backend rounds up, so that a
// timer never fires early: a timer 100 us away then fires about a millisecond late, ten
// times its interval (a steady_timer pacing at 100 us ran at 1.1 ms per tick). Asio's epoll
// reactor keeps its timers in a timerfd and fires them within the kernel's timer slack, and
// so does the io_uring backend (its wait takes a timespec). epoll_pwait2 (Linux 5.11) takes
// a timespec too, so the epoll backend uses it and keeps the same precision.
//
// Where it is missing (an older kernel: ENOSYS) or filtered out (a seccomp profile written
// before it existed: EPERM or ENOSYS), the wait falls back to epoll_wait's milliseconds,
// decided once by a probe, so a refused call is never retried per wait (each failure would
// return at once and turn the reaper's wait into a spin).
//
// ThreadSanitizer sees a happens-before edge from every epoll_ctl to the next epoll_wait on
// the same epoll descriptor (its interceptors), which is what makes a descriptor state
// registered on one thread safe to use on the thread that receives its event. It does not
// intercept the raw epoll_pwait2 call, so the edge is marked here: control() releases, the
// wait acquires.
#ifndef BLITZ_EPOLL_EVENT_WAIT_HPP
#define BLITZ_EPOLL_EVENT_WAIT_HPP

#include <blitz/detail/tsan.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441 // x86-64, arm64 and the other architectures of the generic table
#endif

namespace blitz {
namespace detail {

// The kernel's __kernel_timespec (64-bit fields on every architecture), spelt out rather
// than taken from <linux/time_types.h>, which kernel headers older than 5.1 lack.
struct wait_timespec
{
  std::int64_t tv_sec;
  std::int64_t tv_nsec;
};

class event_wait
{
public:
  // Waits on epfd from now on, after probing epoll_pwait2 on it with a zero timeout. Call it
  // before anything is registered: the probe must not consume an event.
  void attach(int epfd) noexcept
  {
    epfd_ = epfd;
    ::epoll_event ev;
    wait_timespec zero{};
    precise_ = pwait2(&ev, 1, &zero) >= 0;
  }

  // epoll_ctl on the attached descriptor (see above for why it goes through here).
  int control(int op, int fd, ::epoll_event* ev) noexcept
  {
    tsan_release(this);
    return ::epoll_ctl(epfd_, op, fd, ev);
  }

  // Whether timeouts are kept to the nanosecond (epoll_pwait2) or rounded up to the
  // millisecond (epoll_wait).
  bool precise() const noexcept { return precise_; }

  // Waits for up to max events; timeout_ns < 0 waits without limit. Returns what
  // epoll_wait returns: the number of events, or -1 with errno set (EINTR).
  int operator()(::epoll_event* events, int max, std::int64_t timeout_ns) const noexcept
  {
    if (precise_)
    {
      wait_timespec ts{};
      ts.tv_sec = timeout_ns / 1000000000;
      ts.tv_nsec = timeout_ns % 1000000000;
      int n = pwait2(events, max, timeout_ns < 0 ? nullptr : &ts);
      tsan_acquire(const_cast<event_wait*>(this));
      return n;
    }
    int timeout_ms = -1;
    if (timeout_ns >= 0)
    {
      // Rounded up: a timer must never fire early because the wait ended early.
      std::int64_t ms = (timeout_ns + 999999) / 1000000;
      timeout_ms = ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
    }
    return ::epoll_wait(epfd_, events, max, timeout_ms);
  }

private:
  int pwait2(::epoll_event* events, int max, const wait_timespec* ts) const noexcept
  {
    // The raw call, not glibc's wrapper (2.35): the timespec is the kernel's 64-bit one on
    // every architecture, and no signal mask is passed, so its size is not looked at.
    return static_cast<int>(
        ::syscall(SYS_epoll_pwait2, epfd_, events, max, ts, nullptr, _NSIG / 8));
  }

  int epfd_ = -1;
  bool precise_ = false;
};

} // namespace detail
} // namespace blitz

#endif
