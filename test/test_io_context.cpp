#define BOOST_TEST_MODULE io_context
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Counts live instances: a handler holding one proves, by the count going back to zero,
// that it was destroyed (and by the invoked flag, whether it ran).
struct tracker
{
  static std::atomic<int> live;
  tracker() { ++live; }
  tracker(const tracker&) { ++live; }
  tracker(tracker&&) noexcept { ++live; }
  ~tracker() { --live; }
};
std::atomic<int> tracker::live{0};

} // namespace

BOOST_AUTO_TEST_CASE(reports_backend)
{
  blitz::io_context ctx;
  std::string name = ctx.backend_name();
  BOOST_TEST((name == "io_uring" || name == "epoll"));
  if (const char* env = std::getenv("BLITZ_IO_BACKEND"))
    BOOST_TEST(name == (std::string(env) == "epoll" ? "epoll" : "io_uring"));
}

BOOST_AUTO_TEST_CASE(explicit_backend_option_wins)
{
  blitz::io_context::options o;
  o.backend = blitz::io_context::backend_kind::epoll;
  blitz::io_context ctx(o);
  BOOST_TEST(std::string(ctx.backend_name()) == "epoll");
}

BOOST_AUTO_TEST_CASE(run_without_work_returns_zero_and_stops)
{
  blitz::io_context ctx;
  BOOST_TEST(ctx.run() == 0u);
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(post_runs_in_fifo_order_and_never_inline)
{
  blitz::io_context ctx;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    blitz::post(ctx, [&order, i] { order.push_back(i); });
  BOOST_TEST(order.empty());
  BOOST_TEST(ctx.run() == 100u);
  BOOST_REQUIRE(order.size() == 100u);
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(order[static_cast<std::size_t>(i)] == i);
}

BOOST_AUTO_TEST_CASE(post_from_handler_runs_after_current)
{
  blitz::io_context ctx;
  std::vector<int> order;
  blitz::post(ctx, [&] {
    blitz::post(ctx, [&] { order.push_back(3); });
    order.push_back(1);
  });
  blitz::post(ctx, [&] { order.push_back(2); });
  ctx.run();
  BOOST_TEST(order == (std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(dispatch_inline_only_inside_run)
{
  blitz::io_context ctx;
  std::vector<int> order;
  blitz::dispatch(ctx, [&] { order.push_back(1); }); // outside run: queued
  BOOST_TEST(order.empty());
  blitz::post(ctx, [&] {
    blitz::dispatch(ctx, [&] { order.push_back(2); }); // inside: runs now
    order.push_back(3);
    blitz::defer(ctx, [&] { order.push_back(4); });
    blitz::post(ctx.get_executor(), [&] { order.push_back(5); });
  });
  ctx.run();
  BOOST_TEST(order == (std::vector<int>{1, 2, 3, 4, 5}));
}

BOOST_AUTO_TEST_CASE(executor_running_in_this_thread)
{
  blitz::io_context ctx;
  auto ex = ctx.get_executor();
  BOOST_TEST(!ex.running_in_this_thread());
  bool inside = false;
  blitz::post(ex, [&] { inside = ex.running_in_this_thread(); });
  ctx.run();
  BOOST_TEST(inside);
  BOOST_TEST((ex == ctx.get_executor()));
  blitz::io_context other;
  BOOST_TEST((ex != other.get_executor()));
  BOOST_TEST(&ex.context() == &ctx);
}

BOOST_AUTO_TEST_CASE(run_one_poll_one_poll)
{
  blitz::io_context ctx;
  int n = 0;
  for (int i = 0; i < 3; ++i)
    blitz::post(ctx, [&] { ++n; });
  BOOST_TEST(ctx.run_one() == 1u);
  BOOST_TEST(n == 1);
  BOOST_TEST(ctx.poll_one() == 1u);
  BOOST_TEST(n == 2);
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(n == 3);
  BOOST_TEST(ctx.poll() == 0u);
}

BOOST_AUTO_TEST_CASE(poll_does_not_wait_for_timers)
{
  blitz::io_context ctx;
  blitz::steady_timer t(ctx, 10s);
  bool fired = false;
  t.async_wait([&](const boost::system::error_code&) { fired = true; });
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(ctx.poll() == 0u);
  BOOST_TEST(!fired);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  t.cancel();
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(fired);
}

BOOST_AUTO_TEST_CASE(stop_restart)
{
  blitz::io_context ctx;
  int n = 0;
  blitz::post(ctx, [&] {
    ++n;
    ctx.stop();
  });
  blitz::post(ctx, [&] { ++n; });
  ctx.run();
  BOOST_TEST(n == 1);
  BOOST_TEST(ctx.stopped());
  BOOST_TEST(ctx.run() == 0u); // still stopped
  ctx.restart();
  BOOST_TEST(!ctx.stopped());
  BOOST_TEST(ctx.run() == 1u);
  BOOST_TEST(n == 2);
}

BOOST_AUTO_TEST_CASE(work_guard_keeps_run_alive_until_reset)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  BOOST_TEST(guard.owns_work());
  std::atomic<bool> ran{false};
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    blitz::post(ctx, [&] {
      ran = true;
      guard.reset();
    });
  });
  ctx.run(); // returns only after the guard is reset
  t.join();
  BOOST_TEST(ran.load());
  BOOST_TEST(!guard.owns_work());
}

BOOST_AUTO_TEST_CASE(legacy_io_service_work)
{
  blitz::io_service ctx;
  std::unique_ptr<blitz::io_service::work> work(new blitz::io_service::work(ctx));
  int n = 0;
  ctx.post([&] {
    ++n;
    work.reset();
  });
  ctx.dispatch([&] { ++n; });
  ctx.run();
  BOOST_TEST(n == 2);
}

BOOST_AUTO_TEST_CASE(stop_from_other_thread_wakes_blocked_run)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    ctx.stop();
  });
  auto start = std::chrono::steady_clock::now();
  ctx.run();
  t.join();
  BOOST_TEST(ctx.stopped());
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
}

BOOST_AUTO_TEST_CASE(cross_thread_post_wakes_blocked_run)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  std::atomic<int> n{0};
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i)
      blitz::post(ctx, [&] { ++n; });
    blitz::post(ctx, [&] { guard.reset(); });
  });
  ctx.run();
  t.join();
  BOOST_TEST(n.load() == 1000);
}

BOOST_AUTO_TEST_CASE(run_for_and_run_until_time_out)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(ctx.run_for(30ms) == 0u);
  auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST((elapsed >= 30ms));
  BOOST_TEST(!ctx.stopped());
  int n = 0;
  blitz::post(ctx, [&] { ++n; });
  BOOST_TEST(ctx.run_until(std::chrono::steady_clock::now() + 20ms) == 1u);
  BOOST_TEST(n == 1);
  blitz::post(ctx, [&] { ++n; });
  blitz::post(ctx, [&] { ++n; });
  BOOST_TEST(ctx.run_one_for(1s) == 1u);
  BOOST_TEST(n == 2);
}

// The deadline bounds the handlers run, as in Asio: a handler that keeps re-posting itself
// (a loop yielding to other work) must not hold run_for/run_until past it. The stream ends
// by itself after 2 s so that the test ends even where the deadline is ignored.
BOOST_AUTO_TEST_CASE(run_for_and_run_until_end_at_the_deadline_while_handlers_keep_coming)
{
  blitz::io_context ctx;
  auto start = std::chrono::steady_clock::now();
  bool stream_on = true;
  long ran = 0;
  std::function<void()> step = [&] {
    ++ran;
    // Each step takes 1 ms, so the handlers that fit before a deadline are few.
    auto busy_until = std::chrono::steady_clock::now() + 1ms;
    while (std::chrono::steady_clock::now() < busy_until)
    {
    }
    if (stream_on && std::chrono::steady_clock::now() - start < 2s)
      blitz::post(ctx, step);
  };
  blitz::post(ctx, step);

  auto t0 = std::chrono::steady_clock::now();
  std::size_t n = ctx.run_for(20ms);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((took >= 20ms));
  BOOST_TEST((took < 500ms));
  BOOST_TEST(n == static_cast<std::size_t>(ran));
  BOOST_TEST(n < 100u); // ~20 fit
  BOOST_TEST(!ctx.stopped());

  t0 = std::chrono::steady_clock::now();
  n = ctx.run_until(t0 + 20ms);
  took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((took >= 20ms));
  BOOST_TEST((took < 500ms));
  BOOST_TEST(n < 100u);

  stream_on = false;
  BOOST_TEST(ctx.run() == 1u); // the step still queued, which posts no more
}

// A handler may run its own context again (Asio allows it, and code that waits for a
// result inside a handler does): the nested call runs the handlers queued behind the
// current one, and counts only what it ran.
BOOST_AUTO_TEST_CASE(nested_poll_and_run_one_run_the_handlers_queued_behind_the_caller)
{
  blitz::io_context ctx;
  std::vector<std::string> log;
  // Would wake a nested run_one that cannot see the queue: then it runs this instead of
  // "second", and the log says so.
  blitz::steady_timer fallback(ctx, 1s);
  fallback.async_wait([&](const boost::system::error_code& ec) {
    if (!ec)
      log.push_back("fallback timer");
  });
  blitz::post(ctx, [&] {
    log.push_back("outer begin");
    log.push_back("nested run_one " + std::to_string(ctx.run_one()));
    log.push_back("nested poll_one " + std::to_string(ctx.poll_one()));
    blitz::post(ctx, [&] { log.push_back("posted by outer"); });
    log.push_back("nested poll " + std::to_string(ctx.poll()));
    fallback.cancel();
    log.push_back("outer end");
  });
  blitz::post(ctx, [&] { log.push_back("second"); });
  blitz::post(ctx, [&] { log.push_back("third"); });
  blitz::post(ctx, [&] { log.push_back("fourth"); });
  std::size_t outer_ran = ctx.run();
  std::vector<std::string> expected{"outer begin", "second",
                                    "nested run_one 1", "third",
                                    "nested poll_one 1", "fourth",
                                    "posted by outer", "nested poll 2",
                                    "outer end"};
  BOOST_TEST(log == expected, boost::test_tools::per_element());
  // The outer handler and the cancelled timer's completion.
  BOOST_TEST(outer_ran == 2u);
}

// A nested run_one() with nothing queued waits for the next completion, as a top-level
// one does.
BOOST_AUTO_TEST_CASE(nested_run_one_waits_for_a_timer)
{
  blitz::io_context ctx;
  bool fired = false;
  std::size_t nested = 0;
  blitz::steady_timer t(ctx, 10ms);
  t.async_wait([&](const boost::system::error_code& ec) { fired = !ec; });
  blitz::post(ctx, [&] { nested = ctx.run_one(); });
  BOOST_TEST(ctx.run() == 1u);
  BOOST_TEST(nested == 1u);
  BOOST_TEST(fired);
}

BOOST_AUTO_TEST_CASE(handler_exception_propagates_and_context_runs_again)
{
  blitz::io_context ctx;
  int n = 0;
  blitz::post(ctx, [&] { ++n; });
  blitz::post(ctx, [] { throw std::runtime_error("boom"); });
  blitz::post(ctx, [&] { ++n; });
  BOOST_CHECK_THROW(ctx.run(), std::runtime_error);
  BOOST_TEST(n == 1);
  BOOST_TEST(!ctx.stopped());
  BOOST_TEST(ctx.run() == 1u); // the remaining handler, without restart()
  BOOST_TEST(n == 2);
}

BOOST_AUTO_TEST_CASE(destroying_context_destroys_pending_handlers_without_invoking)
{
  bool invoked = false;
  {
    blitz::io_context ctx;
    for (int i = 0; i < 10; ++i)
      blitz::post(ctx, [&invoked, t = tracker()] { invoked = true; });
    BOOST_TEST(tracker::live.load() == 10);
  }
  BOOST_TEST(!invoked);
  BOOST_TEST(tracker::live.load() == 0);
}

BOOST_AUTO_TEST_CASE(move_only_handler)
{
  blitz::io_context ctx;
  std::unique_ptr<int> p(new int(42));
  int seen = 0;
  blitz::post(ctx, [&seen, p = std::move(p)] { seen = *p; });
  ctx.run();
  BOOST_TEST(seen == 42);
}

BOOST_AUTO_TEST_CASE(two_threads_run_one_context_and_stop_from_handler_ends_both)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  std::atomic<int> n{0};
  std::thread::id ids[2];
  std::atomic<int> on_second{0};
  for (int i = 0; i < 10000; ++i)
    blitz::post(ctx, [&] { ++n; });
  std::thread t([&] {
    ids[1] = std::this_thread::get_id();
    ctx.run();
  });
  ids[0] = std::this_thread::get_id();
  blitz::post(ctx, [&] {
    if (std::this_thread::get_id() == ids[1])
      ++on_second;
  });
  std::thread stopper([&] {
    while (n.load() < 10000)
      std::this_thread::sleep_for(1ms);
    blitz::post(ctx, [&] { ctx.stop(); });
  });
  ctx.run();
  t.join();
  stopper.join();
  BOOST_TEST(n.load() == 10000);
  BOOST_TEST(ctx.stopped());
}

// One thread: handlers run in the order they were posted, also across run_one() calls. What
// one call leaves queued runs before what was posted after it (the later post used to
// overtake it).
BOOST_AUTO_TEST_CASE(handlers_left_by_run_one_run_before_later_posts)
{
  blitz::io_context ctx;
  std::vector<int> order;
  for (int i = 1; i <= 3; ++i)
    blitz::post(ctx, [&order, i] { order.push_back(i); });
  BOOST_TEST(ctx.run_one() == 1u);
  blitz::post(ctx, [&order] { order.push_back(4); });
  BOOST_TEST(ctx.poll_one() == 1u);
  blitz::post(ctx, [&order] { order.push_back(5); });
  ctx.run();
  BOOST_TEST((order == std::vector<int>{1, 2, 3, 4, 5}));
}
