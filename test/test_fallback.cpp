// Run-time fallback: with io_uring_setup blocked by seccomp (EPERM, as under Docker's
// default profile), an io_context with no configuration runs on epoll, says why, and
// serves TCP; an explicit request for io_uring fails loudly instead.
#define BOOST_TEST_MODULE fallback
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "../example/seccomp/no_uring_filter.hpp"
#include "echo_fixture.hpp"

#include <cerrno>
#include <cstdint>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace {

// Runs body in a child process where system call nr fails with err; returns the child's
// exit code.
template <class F>
int in_child_refusing(unsigned nr, int err, F body)
{
  pid_t pid = ::fork();
  if (pid == 0)
  {
    if (blitz_example::refuse_syscall(nr, err) != 0)
      ::_exit(90);
    int rc = 91;
    try
    {
      rc = body();
    }
    catch (...)
    {
      rc = 92;
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// With io_uring blocked as under Docker's default profile.
template <class F>
int in_child_without_uring(F body)
{
  return in_child_refusing(__NR_io_uring_setup, EPERM, body);
}

std::int64_t thread_cpu_ns()
{
  ::timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

BOOST_AUTO_TEST_CASE(automatic_choice_falls_back_to_epoll_and_serves)
{
  int rc = in_child_without_uring([] {
    ::unsetenv("BLITZ_IO_BACKEND");
    blitz::io_context ctx;
    if (std::string(ctx.backend_name()) != "epoll")
      return 10;
    if (ctx.backend_fallback_reason() != boost::system::errc::operation_not_permitted)
      return 11;
    // The whole echo path on the fallback, in the filtered process.
    return blitz_test::run_echo_connections(50, 10000, 1) == 50 ? 0 : 12;
  });
  BOOST_TEST(rc == 0);
}

BOOST_AUTO_TEST_CASE(explicit_uring_request_fails_with_the_reason)
{
  int rc = in_child_without_uring([] {
    blitz::io_context::options o;
    o.backend = blitz::io_context::backend_kind::uring;
    try
    {
      blitz::io_context ctx(o);
    }
    catch (const boost::system::system_error& e)
    {
      return e.code() == boost::system::errc::operation_not_permitted ? 0 : 20;
    }
    return 21;
  });
  BOOST_TEST(rc == 0);
}

BOOST_AUTO_TEST_CASE(unfiltered_automatic_choice_reports_no_fallback)
{
  blitz::io_context::options o;
  blitz::io_context ctx(o);
  if (std::string(ctx.backend_name()) == "io_uring")
    BOOST_TEST(!ctx.backend_fallback_reason());
}

// epoll_pwait2 refused (a seccomp profile written before it existed: EPERM; a kernel before
// 5.11: ENOSYS): the epoll backend waits with epoll_wait's milliseconds instead. Were it to
// keep calling the refused wait, each call would fail at once and the reaper would spin on
// the CPU for a timer's whole interval.
BOOST_AUTO_TEST_CASE(epoll_without_epoll_pwait2_still_sleeps_until_the_timer)
{
  for (int err : {EPERM, ENOSYS})
  {
    int rc = in_child_refusing(__NR_epoll_pwait2, err, [] {
      blitz::io_context::options o;
      o.backend = blitz::io_context::backend_kind::epoll;
      blitz::io_context ctx(o);
      blitz::steady_timer t(ctx, std::chrono::milliseconds(40));
      bool fired = false, early = false;
      t.async_wait([&](const boost::system::error_code& ec) {
        fired = !ec;
        early = std::chrono::steady_clock::now() < t.expiry();
      });
      std::int64_t cpu = thread_cpu_ns();
      ctx.run();
      cpu = thread_cpu_ns() - cpu;
      if (!fired)
        return 30;
      if (early)
        return 31;
      // Asleep, the wait costs microseconds of CPU; spinning, all 40 ms.
      return cpu < 20000000 ? 0 : 32;
    });
    BOOST_TEST(rc == 0, "refused with errno " << err << ": child exit " << rc);
  }
}
