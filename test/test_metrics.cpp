// io_context::metrics(): handler, operation, timer and wait counts, and what is pending.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "echo_fixture.hpp"

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using boost::system::error_code;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_fresh_context_reports_nothing)
{
  blitz::io_context ctx;
  auto m = ctx.metrics();
  BOOST_TEST(m.handlers_run == 0u);
  BOOST_TEST(m.ops_pending == 0u);
  BOOST_TEST(m.receives + m.sends + m.accepts + m.connects == 0u);
  BOOST_TEST(m.timers_pending == 0u);
  BOOST_TEST(m.waits == 0u);
}

BOOST_AUTO_TEST_CASE(handlers_are_counted_once_each)
{
  blitz::io_context ctx;
  int chained = 0;
  std::function<void()> again = [&] {
    if (++chained < 50)
      blitz::post(ctx, again);
  };
  for (int i = 0; i < 100; ++i)
    blitz::post(ctx, [] {});
  blitz::post(ctx, again);
  BOOST_TEST(ctx.metrics().handlers_run == 0u); // queued, not yet run
  ctx.run();
  BOOST_TEST(ctx.metrics().handlers_run == 150u);
  // From two threads, each surely running handlers (each waits until the other has run
  // one): the per-thread counts add up.
  std::atomic<int> first{0};
  std::atomic<bool> t_ran{false}, main_ran{false};
  const auto self = std::this_thread::get_id();
  for (int i = 0; i < 1000; ++i)
    blitz::post(ctx, [&, self] {
      bool on_main = std::this_thread::get_id() == self;
      (on_main ? main_ran : t_ran) = true;
      if (first.fetch_add(1) < 2)
        for (int spin = 0; spin < 2000 && !(on_main ? t_ran : main_ran); ++spin)
          std::this_thread::sleep_for(1ms);
    });
  ctx.restart();
  std::thread t([&] { ctx.run(); });
  ctx.run();
  t.join();
  BOOST_TEST(t_ran.load());
  BOOST_TEST(main_ran.load());
  BOOST_TEST(ctx.metrics().handlers_run == 1150u);
}

BOOST_AUTO_TEST_CASE(operations_by_kind_and_pending)
{
  blitz_test::connected_pair p;
  char in[16];
  std::size_t got = 0;
  p.server.async_read_some(blitz::buffer(in), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    got = n;
  });
  p.ctx.poll(); // the read is in the backend now, nothing to read yet
  auto m = p.ctx.metrics();
  BOOST_TEST(m.receives == 1u);
  BOOST_TEST(m.ops_pending == 1u);
  blitz::async_write(p.client, blitz::buffer("hello", 5), [](const error_code& ec, std::size_t) {
    BOOST_TEST(!ec);
  });
  p.ctx.run();
  m = p.ctx.metrics();
  BOOST_TEST(got == 5u);
  BOOST_TEST(m.sends == 1u);
  BOOST_TEST(m.receives == 1u);
  BOOST_TEST(m.ops_pending == 0u);
  BOOST_TEST(m.handlers_run == 2u);

  blitz::ip::tcp::socket late(p.ctx);
  p.acceptor.async_accept(late, [](const error_code& ec) { BOOST_TEST(!ec); });
  blitz::ip::tcp::socket c(p.ctx);
  c.async_connect(p.acceptor.local_endpoint(), [](const error_code& ec) { BOOST_TEST(!ec); });
  // Started by a thread running the context: counted in its own counters, added up when it
  // leaves run().
  blitz::post(p.ctx, [&] {
    p.server.async_wait(blitz::ip::tcp::socket::wait_write, [](const error_code& ec) {
      BOOST_TEST(!ec);
    });
  });
  p.ctx.restart();
  p.ctx.run();
  m = p.ctx.metrics();
  BOOST_TEST(m.accepts == 1u);
  BOOST_TEST(m.readiness_waits == 1u);
  BOOST_TEST(m.connects == 1u); // non-blocking: EINPROGRESS, then the backend waits
  BOOST_TEST(m.ops_pending == 0u);
}

BOOST_AUTO_TEST_CASE(timers_pending_fired_and_the_wait_for_them)
{
  blitz::io_context ctx;
  blitz::steady_timer a(ctx, 30ms), b(ctx, 60ms), never(ctx, std::chrono::hours(1));
  int fired = 0;
  a.async_wait([&](const error_code& ec) { fired += !ec; });
  b.async_wait([&](const error_code& ec) { fired += !ec; });
  never.async_wait([&](const error_code&) {});
  auto m = ctx.metrics();
  BOOST_TEST(m.timers_pending == 3u);
  BOOST_TEST(m.timers_fired == 0u);
  ctx.run_for(150ms);
  m = ctx.metrics();
  BOOST_TEST(fired == 2);
  BOOST_TEST(m.timers_fired == 2u);
  BOOST_TEST(m.timers_pending == 1u);
  // Nothing else to do for most of those 150 ms: the thread blocked, and says for how long.
  BOOST_TEST(m.waits >= 1u);
  BOOST_TEST(m.wait_ns >= 80u * 1000 * 1000);
  BOOST_TEST(m.wait_ns <= 1000u * 1000 * 1000);
  never.cancel();
  ctx.restart();
  ctx.run();
  BOOST_TEST(ctx.metrics().timers_pending == 0u);
  BOOST_TEST(ctx.metrics().timers_fired == 2u); // a cancelled timer did not fire
}
