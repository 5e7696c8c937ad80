// See include/blitz/detail/pipe_write.hpp.
#include <blitz/detail/pipe_write.hpp>

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace {

// -1 until probed. Relaxed: every thread that probes finds the same answer, and the value
// guards nothing but itself.
std::atomic<int> nosignal_flag{-1};

int probe_nosignal_flag() noexcept
{
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
    return 0;
  // A reader is there: the probe itself can never raise SIGPIPE. A kernel that does not
  // know the flag answers EOPNOTSUPP.
  char byte = 0;
  ::iovec iov{&byte, 1};
  ssize_t r = ::pwritev2(p[1], &iov, 1, -1, rwf_nosignal);
  ::close(p[0]);
  ::close(p[1]);
  return r == 1 ? rwf_nosignal : 0;
}

// The signal a write raises on a pipe without readers is directed at the writing thread:
// blocking it in this thread for the call, then consuming the one the call made pending,
// leaves only the EPIPE, without touching the process's dispositions. A SIGPIPE that was
// already pending before the call is somebody else's and is left alone.
class sigpipe_suppressor
{
public:
  sigpipe_suppressor() noexcept
  {
    ::sigset_t pending;
    ::sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
    ::sigset_t pipe_only = only_sigpipe();
    blocked_ = ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_) == 0;
  }
  sigpipe_suppressor(const sigpipe_suppressor&) = delete;
  sigpipe_suppressor& operator=(const sigpipe_suppressor&) = delete;
  ~sigpipe_suppressor()
  {
    if (!blocked_)
      return;
    int saved = errno; // the caller reports the write's errno, not ours
    if (raised_ && !was_pending_)
    {
      ::sigset_t pipe_only = only_sigpipe();
      const ::timespec zero{0, 0};
      while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR)
      {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved;
  }
  void note_epipe() noexcept { raised_ = true; }

private:
  static ::sigset_t only_sigpipe() noexcept
  {
    ::sigset_t s;
    ::sigemptyset(&s);
    ::sigaddset(&s, SIGPIPE);
    return s;
  }

  ::sigset_t old_;
  bool blocked_ = false;
  bool was_pending_ = false;
  bool raised_ = false;
};

} // namespace

int nosignal_write_flag() noexcept
{
  int f = nosignal_flag.load(std::memory_order_relaxed);
  if (f < 0)
  {
    f = probe_nosignal_flag();
    nosignal_flag.store(f, std::memory_order_relaxed);
  }
  return f;
}

void disable_nosignal_write_flag_for_testing() noexcept
{
  nosignal_flag.store(0, std::memory_order_relaxed);
}

ssize_t writev_nosigpipe(int fd, const ::iovec* iov, int count) noexcept
{
  if (int flag = nosignal_write_flag())
  {
    ssize_t r = ::pwritev2(fd, iov, count, -1, flag);
    // A file type with no write_iter refuses every flag; only pipes and sockets raise
    // SIGPIPE, and both have one, so a plain write is safe there.
    if (r >= 0 || errno != EOPNOTSUPP)
      return r;
    return ::writev(fd, iov, count);
  }
  sigpipe_suppressor guard;
  ssize_t r = ::writev(fd, iov, count);
  if (r < 0 && errno == EPIPE)
    guard.note_epipe();
  return r;
}

} // namespace detail
} // namespace blitz
