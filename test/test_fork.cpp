// io_context::notify_fork: Asio's process-per-connection pattern, where a forked child
// closes its copy of the acceptor and serves on the same context while the parent goes on
// accepting.
#define BOOST_TEST_MODULE fork
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <chrono>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

using blitz::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

blitz::io_context::options with(blitz::io_context::backend_kind k)
{
  blitz::io_context::options o;
  o.backend = k;
  return o;
}

// Exit status of the child, or 128 + its signal.
int wait_child(pid_t pid)
{
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

// Epoll items belong to the open file description both processes hold: without a set of
// its own, the child's close of the acceptor removed the parent's registration, and the
// parent's accept never completed.
BOOST_AUTO_TEST_CASE(epoll_child_closing_the_acceptor_leaves_the_parent_accepting)
{
  blitz::io_context ctx(with(blitz::io_context::backend_kind::epoll));
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  int accepted = 0;
  error_code accept_ec;
  acceptor.async_accept([&](const error_code& ec, tcp::socket) {
    ++accepted;
    accept_ec = ec;
  });
  ctx.poll(); // the accept waits in the backend

  ctx.notify_fork(blitz::io_context::fork_prepare);
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0)
  {
    // No Boost.Test in here: exit codes only.
    int rc = 0;
    try
    {
      ctx.notify_fork(blitz::io_context::fork_child);
      acceptor.close(); // the child's copy: its accept ends aborted, in the child
      bool fired = false;
      blitz::steady_timer t(ctx, 10ms);
      t.async_wait([&](const error_code& ec) { fired = !ec; });
      ctx.run_for(2s);
      if (!fired)
        rc = 1;
      else if (accepted != 1 || accept_ec != blitz::error::operation_aborted)
        rc = 2;
    }
    catch (...)
    {
      rc = 3;
    }
    ::_exit(rc);
  }
  ctx.notify_fork(blitz::io_context::fork_parent);
  BOOST_TEST(wait_child(pid) == 0);

  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  ctx.restart();
  ctx.run_for(2s);
  BOOST_TEST(accepted == 1);
  BOOST_TEST(!accept_ec);
}

// The io_uring backend cannot follow a fork yet: it says so before the fork happens.
BOOST_AUTO_TEST_CASE(io_uring_refuses_to_follow_a_fork_before_it_happens)
{
  std::unique_ptr<blitz::io_context> ctx;
  try
  {
    ctx.reset(new blitz::io_context(with(blitz::io_context::backend_kind::uring)));
  }
  catch (const boost::system::system_error&)
  {
    BOOST_TEST_MESSAGE("no io_uring here; skipped");
    return;
  }
  try
  {
    ctx->notify_fork(blitz::io_context::fork_prepare);
    BOOST_ERROR("notify_fork did not throw");
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == boost::system::errc::operation_not_supported));
  }
  // Still usable afterwards.
  blitz::steady_timer t(*ctx, 1ms);
  bool fired = false;
  t.async_wait([&](const error_code& ec) { fired = !ec; });
  ctx->run();
  BOOST_TEST(fired);
}
