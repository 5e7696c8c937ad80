#define BOOST_TEST_MODULE signal_set
#include <boost/test/unit_test.hpp>

#include <blitz/io_context.hpp>
#include <blitz/post.hpp>
#include <blitz/signal_set.hpp>
#include <blitz/bind_cancellation_slot.hpp>
#include <blitz/cancellation_signal.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <signal.h>
#include <sys/types.h>
#include <memory>
#include <thread>
#include <unistd.h>
#include <vector>

using boost::system::error_code;

namespace {

struct result
{
  int calls = 0;
  error_code ec;
  int signo = 0;
};

// A handler that records what it was called with.
struct recorder
{
  result* r;
  void operator()(const error_code& ec, int signo) const
  {
    ++r->calls;
    r->ec = ec;
    r->signo = signo;
  }
};

void (*current_handler(int signo))(int)
{
  struct ::sigaction sa;
  ::sigaction(signo, nullptr, &sa);
  return sa.sa_handler;
}

volatile std::sig_atomic_t foreign_hits = 0;
void foreign_handler(int) { foreign_hits = foreign_hits + 1; }

} // namespace

BOOST_AUTO_TEST_CASE(raise_and_kill_reach_a_waiting_handler)
{
  blitz::io_context ctx;
  blitz::signal_set set(ctx, SIGUSR1, SIGUSR2);
  result r;
  set.async_wait(recorder{&r});
  blitz::post(ctx, [] { ::raise(SIGUSR1); });
  ctx.run();
  BOOST_TEST(r.calls == 1);
  BOOST_TEST(!r.ec);
  BOOST_TEST(r.signo == SIGUSR1);

  // kill() is process-directed: any thread may take it; the pipe brings it here anyway.
  set.async_wait(recorder{&r});
  BOOST_REQUIRE(::kill(::getpid(), SIGUSR2) == 0);
  ctx.restart();
  ctx.run();
  BOOST_TEST(r.calls == 2);
  BOOST_TEST(r.signo == SIGUSR2);
}

BOOST_AUTO_TEST_CASE(a_set_without_a_pending_wait_keeps_no_work)
{
  blitz::io_context ctx;
  blitz::signal_set set(ctx, SIGUSR1);
  BOOST_TEST(ctx.run() == 0u);
  // Nor does one whose wait was cancelled.
  result r;
  set.async_wait(recorder{&r});
  set.cancel();
  ctx.restart();
  ctx.run();
  BOOST_TEST(r.calls == 1);
  BOOST_TEST((r.ec == blitz::error::operation_aborted));
}

// Per-operation cancellation, as Asio's signal_set supports it: emitting a wait's slot
// aborts that wait alone; the set's other wait still receives the signal; a wait that
// completed is left alone by a later emit; a cancelled lone wait keeps no work, so run()
// returns.
BOOST_AUTO_TEST_CASE(a_cancellation_slot_cancels_one_signal_wait)
{
  blitz::io_context ctx;
  blitz::signal_set set(ctx, SIGUSR1);
  blitz::cancellation_signal sig;
  result bound, other;
  set.async_wait(blitz::bind_cancellation_slot(sig.slot(), recorder{&bound}));
  set.async_wait(recorder{&other});
  blitz::post(ctx, [&] {
    sig.emit(blitz::cancellation_type::terminal);
    blitz::post(ctx, [] { ::raise(SIGUSR1); });
  });
  ctx.run_for(std::chrono::seconds(2)); // bounded: were the emit ignored, one wait stays
  BOOST_TEST(bound.calls == 1);
  BOOST_TEST((bound.ec == blitz::error::operation_aborted));
  BOOST_TEST(other.calls == 1);
  BOOST_TEST(!other.ec);
  BOOST_TEST(other.signo == SIGUSR1);
  BOOST_TEST(!sig.slot().has_handler());

  // Completed first: the emit after it changes nothing.
  result late;
  set.async_wait(blitz::bind_cancellation_slot(sig.slot(), recorder{&late}));
  ::raise(SIGUSR1);
  ctx.restart();
  ctx.run_for(std::chrono::seconds(2));
  sig.emit(blitz::cancellation_type::terminal);
  BOOST_TEST(late.calls == 1);
  BOOST_TEST(!late.ec);

  // A lone wait cancelled this way leaves nothing to wait for.
  result lone;
  set.async_wait(blitz::bind_cancellation_slot(sig.slot(), recorder{&lone}));
  sig.emit(blitz::cancellation_type::partial);
  ctx.restart();
  auto start = std::chrono::steady_clock::now();
  ctx.run_for(std::chrono::seconds(2));
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(1)));
  BOOST_TEST(lone.calls == 1);
  BOOST_TEST((lone.ec == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(every_set_on_every_context_receives_the_signal)
{
  blitz::io_context ctx1, ctx2;
  blitz::signal_set a(ctx1, SIGUSR1), b(ctx1, SIGUSR1, SIGWINCH);
  blitz::signal_set c(ctx2, SIGUSR1);
  blitz::signal_set other(ctx2, SIGUSR2); // a different signal: must not fire
  result ra, rb, rc;

  // Round 1: ctx1 reads the pipe and delivers to c on ctx2 too.
  a.async_wait(recorder{&ra});
  b.async_wait(recorder{&rb});
  c.async_wait(recorder{&rc});
  ::raise(SIGUSR1);
  ctx1.run();
  ctx2.run();
  BOOST_TEST(ra.calls == 1);
  BOOST_TEST(rb.calls == 1);
  BOOST_TEST(rc.calls == 1);
  BOOST_TEST(rc.signo == SIGUSR1);

  // Round 2: ctx2 reads it first this time.
  a.async_wait(recorder{&ra});
  b.async_wait(recorder{&rb});
  c.async_wait(recorder{&rc});
  ::raise(SIGUSR1);
  ctx2.restart();
  ctx2.run();
  BOOST_TEST(rc.calls == 2);
  ctx1.restart();
  ctx1.run();
  BOOST_TEST(ra.calls == 2);
  BOOST_TEST(rb.calls == 2);

  // Round 3: both contexts running on their own threads.
  a.async_wait(recorder{&ra});
  b.async_wait(recorder{&rb});
  c.async_wait(recorder{&rc});
  ctx1.restart();
  ctx2.restart();
  std::thread t([&] { ctx2.run(); });
  blitz::post(ctx1, [] { ::kill(::getpid(), SIGUSR1); });
  ctx1.run();
  t.join();
  BOOST_TEST(ra.calls == 3);
  BOOST_TEST(rb.calls == 3);
  BOOST_TEST(rc.calls == 3);

  result ro;
  other.async_wait(recorder{&ro});
  other.cancel();
  ctx2.restart();
  ctx2.run();
  BOOST_TEST((ro.ec == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(a_signal_before_the_wait_is_queued_per_set)
{
  blitz::io_context ctx;
  blitz::signal_set waiting(ctx, SIGUSR1), idle(ctx, SIGUSR1);
  ::raise(SIGUSR1);
  ::raise(SIGUSR1);
  result r;
  waiting.async_wait(recorder{&r});
  BOOST_TEST(r.calls == 0); // never inside async_wait
  ctx.run();
  BOOST_TEST(r.calls == 1);
  BOOST_TEST(r.signo == SIGUSR1);
  waiting.async_wait(recorder{&r});
  ctx.restart();
  ctx.run();
  BOOST_TEST(r.calls == 2);

  // Both occurrences were also queued on the set that was not waiting.
  result ri;
  idle.async_wait(recorder{&ri});
  idle.async_wait(recorder{&ri});
  ctx.restart();
  ctx.run();
  BOOST_TEST(ri.calls == 2);
  BOOST_TEST(!ri.ec);

  // Nothing more is queued: the next wait stays pending until cancelled. Queued
  // occurrences survive cancel().
  waiting.async_wait(recorder{&r});
  ctx.restart();
  BOOST_TEST(ctx.poll() == 0u);
  waiting.cancel();
  ctx.run();
  BOOST_TEST(r.calls == 3);
  BOOST_TEST((r.ec == blitz::error::operation_aborted));
  ::raise(SIGUSR1);
  waiting.cancel();
  waiting.async_wait(recorder{&r});
  ctx.restart();
  ctx.run();
  BOOST_TEST(r.calls == 4);
  BOOST_TEST(!r.ec);
}

BOOST_AUTO_TEST_CASE(remove_and_clear_restore_the_previous_disposition)
{
  struct ::sigaction sa = {};
  sa.sa_handler = &foreign_handler;
  ::sigemptyset(&sa.sa_mask);
  struct ::sigaction old;
  BOOST_REQUIRE(::sigaction(SIGUSR2, &sa, &old) == 0);
  BOOST_REQUIRE(current_handler(SIGWINCH) == SIG_DFL);
  {
    blitz::io_context ctx;
    blitz::signal_set s1(ctx, SIGUSR2, SIGWINCH), s2(ctx, SIGUSR2);
    BOOST_TEST((current_handler(SIGUSR2) != &foreign_handler));
    BOOST_TEST((current_handler(SIGWINCH) != SIG_DFL));
    s1.remove(SIGUSR2);
    BOOST_TEST((current_handler(SIGUSR2) != &foreign_handler)); // s2 still has it
    s2.remove(SIGUSR2);
    BOOST_TEST((current_handler(SIGUSR2) == &foreign_handler));
    s1.remove(SIGUSR2); // not in the set: no effect, no error
    ::raise(SIGUSR2);
    BOOST_TEST(foreign_hits == 1);

    s1.clear();
    BOOST_TEST((current_handler(SIGWINCH) == SIG_DFL));

    // A removed signal's queued occurrences go with it, and one that arrives while the
    // signal is out of the set is not delivered when it is added again.
    s2.add(SIGWINCH);
    ::raise(SIGWINCH);
    s2.remove(SIGWINCH);
    s2.add(SIGWINCH);
    s2.add(SIGWINCH); // twice: no effect
    result r;
    s2.async_wait(recorder{&r});
    ctx.run_for(std::chrono::milliseconds(20));
    BOOST_TEST(r.calls == 0);
    s2.cancel();
    ctx.run();
    BOOST_TEST((r.ec == blitz::error::operation_aborted));

    // Destroying a set with a wait pending completes it with operation_aborted.
    result rd;
    {
      blitz::signal_set doomed(ctx, SIGWINCH);
      doomed.async_wait(recorder{&rd});
    }
    ctx.restart();
    ctx.run();
    BOOST_TEST(rd.calls == 1);
    BOOST_TEST((rd.ec == blitz::error::operation_aborted));
  }
  BOOST_TEST((current_handler(SIGWINCH) == SIG_DFL));
  BOOST_TEST((current_handler(SIGUSR2) == &foreign_handler));
  ::sigaction(SIGUSR2, &old, nullptr);
}

BOOST_AUTO_TEST_CASE(invalid_signal_numbers_are_rejected)
{
  blitz::io_context ctx;
  blitz::signal_set set(ctx);
  for (int bad : {0, -1, NSIG, NSIG + 10, SIGKILL, SIGSTOP})
  {
    error_code ec;
    set.add(bad, ec);
    BOOST_TEST((ec == blitz::error::invalid_argument), "add(" << bad << ")");
  }
  BOOST_CHECK_THROW(set.add(SIGKILL), boost::system::system_error);
  BOOST_CHECK_THROW(blitz::signal_set(ctx, SIGSTOP), boost::system::system_error);
  error_code ec;
  set.remove(0, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
  set.remove(SIGUSR1, ec);
  BOOST_TEST(!ec);
  BOOST_TEST((current_handler(SIGKILL) == SIG_DFL));
}

BOOST_AUTO_TEST_CASE(handler_preserves_errno_and_restarts_syscalls)
{
  blitz::io_context ctx;
  blitz::signal_set set(ctx, SIGUSR1);
  errno = EDOM;
  ::raise(SIGUSR1);
  BOOST_TEST(errno == EDOM);
  struct ::sigaction sa;
  ::sigaction(SIGUSR1, nullptr, &sa);
  BOOST_TEST((sa.sa_flags & SA_RESTART) != 0);
  result r;
  set.async_wait(recorder{&r});
  ctx.run();
  BOOST_TEST(r.signo == SIGUSR1);
}

namespace {

// What an Asio-style session looks like: its pending handler keeps it, and its set, alive.
struct signal_session
{
  signal_session(blitz::io_context& ctx, bool* gone) : set(ctx, SIGUSR1), destroyed(gone) {}
  ~signal_session() { *destroyed = true; }
  blitz::signal_set set;
  bool* destroyed;
};

} // namespace

BOOST_AUTO_TEST_CASE(destroying_the_context_destroys_a_pending_wait_uninvoked)
{
  void (*before)(int) = current_handler(SIGUSR1);
  bool destroyed = false;
  int calls = 0;
  {
    blitz::io_context ctx;
    auto s = std::make_shared<signal_session>(ctx, &destroyed);
    s->set.async_wait([s, &calls](const error_code&, int) { ++calls; });
    s.reset(); // only the pending handler holds the session now
    ctx.poll();
    BOOST_TEST(!destroyed);
  }
  // The handler was destroyed with the context, and with it the session and its set, which
  // gave SIGUSR1 back.
  BOOST_TEST(destroyed);
  BOOST_TEST(calls == 0);
  BOOST_TEST((current_handler(SIGUSR1) == before));
}

// Against the rules (as for every I/O object), but it must not reach freed memory: a set
// that outlives its context keeps catching its signals, a new context (perhaps at the same
// address) gets signals of its own, and the stray set's destruction touches neither.
BOOST_AUTO_TEST_CASE(a_set_outliving_its_context_reaches_neither_it_nor_the_next_one)
{
  std::unique_ptr<blitz::signal_set> stray;
  result stray_result;
  {
    blitz::io_context ctx;
    stray.reset(new blitz::signal_set(ctx, SIGUSR2));
    stray->async_wait(recorder{&stray_result});
    ctx.poll();
  }
  BOOST_TEST(stray_result.calls == 0);
  ::raise(SIGUSR2); // caught for the stray set, and read by the next context
  {
    blitz::io_context ctx;
    blitz::signal_set set(ctx, SIGUSR2);
    result r;
    set.async_wait(recorder{&r});
    ctx.run_for(std::chrono::milliseconds(200));
    BOOST_TEST(r.calls == 0); // the earlier signal was the stray set's, not this one's
    ::raise(SIGUSR2);
    ctx.restart();
    ctx.run_for(std::chrono::seconds(2));
    BOOST_TEST(r.calls == 1);
    BOOST_TEST(r.signo == SIGUSR2);
  }
  stray.reset();
  BOOST_TEST(stray_result.calls == 0);
}
