// One io_context run by several threads, on both backends: handlers spread over the
// threads, the backend is reaped by one thread at a time, nothing is lost or run twice.
#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <future>
#include <functional>
#include <memory>
#include <set>
#include <mutex>
#include <thread>
#include <vector>

BOOST_AUTO_TEST_CASE(two_threads_thousand_connections_every_byte_verified)
{
  BOOST_TEST(blitz_test::run_echo_connections(1000, 4000, 2) == 1000);
}

BOOST_AUTO_TEST_CASE(four_threads_two_hundred_connections)
{
  BOOST_TEST(blitz_test::run_echo_connections(200, 20000, 4) == 200);
}

BOOST_AUTO_TEST_CASE(posts_from_many_threads_run_exactly_once)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  const int producers = 4;
  const int per = 25000;
  std::vector<std::atomic<int>> hits(static_cast<std::size_t>(producers * per));
  for (auto& h : hits)
    h = 0;
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] { ctx.run(); });
  std::vector<std::thread> ps;
  for (int p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      const int base = p * per;
      for (int i = 0; i < per; ++i)
        blitz::post(ctx, [&hits, base, i] { ++hits[static_cast<std::size_t>(base + i)]; });
    });
  for (auto& t : ps)
    t.join();
  guard.reset();
  for (auto& t : runners)
    t.join();
  int wrong = 0;
  for (auto& h : hits)
    wrong += h.load() != 1;
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE(handlers_spread_over_threads)
{
  blitz::io_context ctx;
  std::mutex m;
  std::set<std::thread::id> seen;
  std::atomic<int> n{0};
  // Each handler sleeps a little so one thread alone cannot drain the queue.
  for (int i = 0; i < 200; ++i)
    blitz::post(ctx, [&] {
      {
        std::lock_guard<std::mutex> l(m);
        seen.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      ++n;
    });
  std::thread t([&] { ctx.run(); });
  ctx.run();
  t.join();
  BOOST_TEST(n.load() == 200);
  BOOST_TEST(seen.size() == 2u);
}

BOOST_AUTO_TEST_CASE(async_op_started_from_foreign_thread_completes)
{
  // The main thread starts an operation while another thread is blocked in run(): the
  // submission must reach the kernel without waiting for the runner's next turn.
  using blitz::ip::tcp;
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  std::thread runner([&] { ctx.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // runner is asleep in the kernel
  std::atomic<bool> accepted{false}, connected{false};
  tcp::socket client(ctx);
  acceptor.async_accept([&](const boost::system::error_code& ec, tcp::socket) { accepted = !ec; });
  client.async_connect(acceptor.local_endpoint(), [&](const boost::system::error_code& ec) {
    connected = !ec;
  });
  for (int i = 0; i < 500 && !(accepted && connected); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_TEST(accepted.load());
  BOOST_TEST(connected.load());
  guard.reset();
  ctx.stop();
  runner.join();
}

BOOST_AUTO_TEST_CASE(timer_armed_by_a_handler_on_a_non_reaper_thread_wakes_the_reaper)
{
  // Two threads run the context; handlers keep arming short timers. Whichever thread runs
  // the handler, the one asleep in the backend must wake for the new deadline.
  blitz::io_context ctx;
  blitz::steady_timer t(ctx);
  int fired = 0;
  std::function<void(const boost::system::error_code&)> tick = [&](const boost::system::error_code& ec) {
    if (ec || ++fired == 200)
      return;
    t.expires_after(std::chrono::milliseconds(1));
    t.async_wait(tick);
  };
  t.expires_after(std::chrono::milliseconds(1));
  t.async_wait(tick);
  std::thread other([&] { ctx.run(); });
  auto start = std::chrono::steady_clock::now();
  ctx.run();
  other.join();
  BOOST_TEST(fired == 200);
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(20)));
}

BOOST_AUTO_TEST_CASE(posts_keep_waking_the_reaper_while_another_thread_is_busy)
{
  // One runner is stuck in a long handler; the other sleeps in the backend. Posts from a
  // third thread must still wake the sleeper every time, not only the first time.
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  blitz::post(ctx, [&] {
    while (!release.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  std::thread a([&] { ctx.run(); });
  std::thread b([&] { ctx.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // one is busy, one asleep
  for (int i = 0; i < 50; ++i)
  {
    blitz::post(ctx, [&] { ++done; });
    for (int w = 0; w < 2000 && done.load() <= i; ++w)
      std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  int got = done.load();
  release = true;
  guard.reset();
  a.join();
  b.join();
  BOOST_TEST(got == 50);
}

BOOST_AUTO_TEST_CASE(guard_released_right_after_foreign_posts_loses_none)
{
  // Posts from outside are counted only when a runner takes them: a guard released by
  // another thread right after the last post races with those takes, and run() must still
  // return only after every post ran, each producer's in order (checked with one runner).
  for (int round = 0; round < 200; ++round)
  {
    blitz::io_context ctx;
    auto guard = blitz::make_work_guard(ctx);
    const int producers = 2;
    const int per = 500;
    const int runner_count = 1 + round % 2;
    std::atomic<int> ran{0};
    std::vector<int> next(producers, 0);
    bool in_order = true;
    std::vector<std::thread> runners;
    for (int r = 0; r < runner_count; ++r)
      runners.emplace_back([&] { ctx.run(); });
    std::vector<std::thread> ps;
    for (int p = 0; p < producers; ++p)
      ps.emplace_back([&, p] {
        for (int i = 0; i < per; ++i)
          blitz::post(ctx, [&, p, i] {
            if (runner_count == 1 && next[static_cast<std::size_t>(p)]++ != i)
              in_order = false;
            ++ran;
          });
      });
    for (auto& t : ps)
      t.join();
    guard.reset();
    for (auto& t : runners)
      t.join();
    BOOST_TEST_REQUIRE(ran.load() == producers * per);
    BOOST_TEST_REQUIRE(in_order);
  }
}

BOOST_AUTO_TEST_CASE(ops_started_by_a_runner_that_exited_are_destroyed_with_the_context)
{
  // An accept re-armed by a handler on a runner thread that then leaves run() and exits:
  // destroying the context must still reclaim it (io_uring completes such a request
  // through deferred kernel work, which shutdown has to wait for, not spin past).
  using blitz::ip::tcp;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  {
    blitz::io_context ctx;
    tcp::acceptor a(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
    std::function<void()> accept = [&] {
      a.async_accept([&, token](const boost::system::error_code& ec, tcp::socket) {
        if (!ec)
          accept();
      });
    };
    accept();
    token.reset();
    std::thread t([&] { ctx.run(); });
    {
      blitz::io_context c2;
      tcp::socket s(c2);
      s.connect(a.local_endpoint());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ctx.stop();
    t.join();
  }
  BOOST_TEST(watch.expired());
}

// With other threads running the context and asleep, a handler's post goes to one of them,
// as Asio's does: a handler that waits for what it posted (a bad habit, but a common one)
// does not wait for ever. defer() keeps its continuation on the posting thread.
BOOST_AUTO_TEST_CASE(a_post_from_a_handler_reaches_a_sleeping_thread)
{
  blitz::io_context ctx;
  auto guard = blitz::make_work_guard(ctx);
  std::thread t1([&] { ctx.run(); });
  std::thread t2([&] { ctx.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // both asleep
  std::atomic<bool> x_ran{false}, seen_in_time{false};
  std::atomic<bool> deferred_elsewhere{true};
  std::promise<void> done;
  blitz::post(ctx, [&] {
    blitz::post(ctx, [&] { x_ran = true; });
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!x_ran && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    seen_in_time = x_ran.load();
    std::thread::id here = std::this_thread::get_id();
    blitz::defer(ctx, [&, here] {
      deferred_elsewhere = std::this_thread::get_id() != here;
      done.set_value();
    });
  });
  done.get_future().wait();
  guard.reset();
  t1.join();
  t2.join();
  BOOST_TEST(seen_in_time.load());
  BOOST_TEST(!deferred_elsewhere.load());
}
