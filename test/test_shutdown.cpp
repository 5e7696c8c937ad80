// io_context::shutdown(grace, cancel_grace): drains, cancels what is left, reports, on both
// backends and with other threads running the context.
#define BOOST_TEST_MODULE shutdown
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using blitz::ip::tcp;
using boost::system::error_code;

namespace {

using blitz_test::connected_pair;

bool aborted(const error_code& ec) { return ec == blitz::error::operation_aborted; }

} // namespace

BOOST_AUTO_TEST_CASE(drains_when_the_work_finishes_within_the_grace_period)
{
  connected_pair p;
  char buf[8];
  error_code read_ec = blitz::error::would_block;
  std::size_t got = 0;
  int posted = 0;
  p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    read_ec = ec;
    got = n;
  });
  blitz::steady_timer t(p.ctx, 20ms);
  t.async_wait([&](const error_code&) { blitz::write(p.client, blitz::buffer("bye", 3)); });
  blitz::post(p.ctx, [&] { ++posted; });

  auto report = p.ctx.shutdown(10s);
  BOOST_TEST(report.drained);
  BOOST_TEST(report.handlers_run == 3u); // the post, the timer, the read
  BOOST_TEST(report.io_cancelled == 0u);
  BOOST_TEST(report.timers_cancelled == 0u);
  BOOST_TEST(report.abandoned == 0u);
  BOOST_TEST(!read_ec);
  BOOST_TEST(got == 3u);
  BOOST_TEST(posted == 1);
  BOOST_TEST((report.elapsed >= 19ms)); // it waited for the timer
  BOOST_TEST((report.elapsed < 5s));    // and not for the grace period
  BOOST_TEST(p.ctx.stopped());
}

BOOST_AUTO_TEST_CASE(cancels_io_timers_and_signal_waits_once_the_grace_period_is_over)
{
  connected_pair p;
  char sbuf[8], cbuf[8];
  std::vector<std::string> calls;
  auto record = [&](const char* what) {
    return [&calls, what](const error_code& ec, std::size_t = 0) {
      calls.push_back(std::string(what) + (aborted(ec) ? ":aborted" : ":" + ec.message()));
    };
  };
  p.server.async_read_some(blitz::buffer(sbuf), record("read"));
  p.client.async_read_some(blitz::buffer(cbuf), blitz::cancel_after(1h, record("timed read")));
  tcp::socket next(p.ctx);
  p.acceptor.async_accept(next, record("accept"));
  blitz::steady_timer t(p.ctx, 1h);
  t.async_wait(record("timer"));
  blitz::signal_set signals(p.ctx, SIGUSR2);
  signals.async_wait([&](const error_code& ec, int) { record("signal")(ec); });

  auto report = p.ctx.shutdown(50ms);
  BOOST_TEST(!report.drained);
  // The reads, the accept, and the signal_set's wait on its pipe.
  BOOST_TEST(report.io_cancelled == 4u);
  BOOST_TEST(report.timers_cancelled == 1u);
  BOOST_TEST(report.signal_waits_cancelled == 1u);
  BOOST_TEST(report.abandoned == 0u);
  BOOST_TEST(report.handlers_run >= 5u); // and the signal pipe wait's own completion
  BOOST_TEST((report.elapsed >= 49ms));
  BOOST_TEST((report.elapsed < 5s));
  std::sort(calls.begin(), calls.end());
  std::vector<std::string> expected{"accept:aborted", "read:aborted", "signal:aborted",
                                    "timed read:aborted", "timer:aborted"};
  BOOST_TEST(calls == expected, boost::test_tools::per_element());
  // The objects are still usable, and the timers keep time: a new wait fires at its
  // deadline, not at once.
  bool fired = false;
  auto armed = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point at;
  t.expires_after(200ms);
  t.async_wait([&](const error_code& ec) {
    fired = !ec;
    at = std::chrono::steady_clock::now();
  });
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST(fired);
  BOOST_TEST((at - armed >= 199ms));
}

BOOST_AUTO_TEST_CASE(a_timer_armed_after_the_cancellation_fires_at_its_deadline)
{
  connected_pair p;
  char buf[8];
  blitz::steady_timer linger(p.ctx);
  error_code linger_ec = blitz::error::would_block;
  std::chrono::steady_clock::time_point cancelled, fired;
  p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    if (!aborted(ec))
      return;
    // Shutting down: give the peer 100 ms more before closing, as a server lingers.
    cancelled = std::chrono::steady_clock::now();
    linger.expires_after(100ms);
    linger.async_wait([&](const error_code& lec) {
      linger_ec = lec;
      fired = std::chrono::steady_clock::now();
    });
  });
  auto report = p.ctx.shutdown(10ms, 5s);
  BOOST_TEST(report.io_cancelled == 1u);
  BOOST_TEST(report.abandoned == 0u);
  BOOST_TEST(!linger_ec);
  BOOST_TEST((fired - cancelled >= 99ms));
}

BOOST_AUTO_TEST_CASE(reads_queued_on_one_socket_are_all_cancelled_in_order)
{
  connected_pair p;
  char a[4], b[4], c[4];
  std::vector<int> order;
  auto reader = [&](int i) {
    return [&order, i](const error_code& ec, std::size_t) {
      order.push_back(aborted(ec) ? i : -i);
    };
  };
  p.server.async_read_some(blitz::buffer(a), reader(1));
  p.server.async_read_some(blitz::buffer(b), reader(2));
  p.server.async_read_some(blitz::buffer(c), reader(3));
  auto report = p.ctx.shutdown(10ms, 5s);
  BOOST_TEST(report.io_cancelled == 3u);
  BOOST_TEST(report.abandoned == 0u);
  std::vector<int> expected{1, 2, 3};
  BOOST_TEST(order == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_multishot_accept_ends_with_operation_aborted)
{
  connected_pair p;
  int accepted = 0, ended = 0;
  error_code last;
  p.acceptor.async_accept_multishot([&](const error_code& ec, tcp::socket) {
    if (ec)
    {
      ++ended;
      last = ec;
    }
    else
      ++accepted;
  });
  tcp::socket c(p.ctx);
  c.connect(p.acceptor.local_endpoint());
  auto report = p.ctx.shutdown(100ms);
  BOOST_TEST(!report.drained);
  BOOST_TEST(accepted == 1);
  BOOST_TEST(ended == 1);
  BOOST_TEST(aborted(last));
  BOOST_TEST(report.abandoned == 0u);
}

BOOST_AUTO_TEST_CASE(a_handler_can_finish_its_work_after_the_cancellation)
{
  connected_pair p;
  char buf[8];
  error_code write_ec = blitz::error::would_block;
  p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    if (aborted(ec)) // shutting down: say goodbye first
      blitz::async_write(p.server, blitz::buffer("bye", 3),
                         [&](const error_code& wec, std::size_t) { write_ec = wec; });
  });
  auto report = p.ctx.shutdown(20ms);
  BOOST_TEST(!report.drained);
  BOOST_TEST(report.io_cancelled == 1u);
  BOOST_TEST(report.handlers_run == 2u); // the read's, then the write's
  BOOST_TEST(report.abandoned == 0u);
  BOOST_TEST(!write_ec);
  char got[3];
  BOOST_TEST(blitz::read(p.client, blitz::buffer(got)) == 3u);
  BOOST_TEST(std::string(got, 3) == "bye");
}

BOOST_AUTO_TEST_CASE(work_that_outlives_the_cancellation_is_abandoned_and_destroyed)
{
  auto token = std::make_shared<int>(0);
  int accept_calls = 0;
  {
    blitz::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
    tcp::socket peer(ctx);
    // The Asio idiom of accepting again whatever the error: the re-armed accept is started
    // after the cancellation, so it is not cancelled, and it outlives cancel_grace.
    std::function<void()> accept_next = [&] {
      peer = tcp::socket(ctx);
      acceptor.async_accept(peer, [&, token](const error_code&) {
        ++accept_calls;
        accept_next();
      });
    };
    accept_next();
    auto guard = blitz::make_work_guard(ctx);
    auto report = ctx.shutdown(10ms, 30ms);
    BOOST_TEST(!report.drained);
    BOOST_TEST(report.io_cancelled == 1u);
    BOOST_TEST(report.abandoned == 2u); // the work guard and the re-armed accept
    BOOST_TEST((report.elapsed >= 39ms));
    BOOST_TEST(ctx.stopped());
    BOOST_TEST(accept_calls == 1);
    BOOST_TEST(token.use_count() == 2); // the pending accept's handler
    guard.reset();
  }
  BOOST_TEST(accept_calls == 1); // destroyed, never invoked
  BOOST_TEST(token.use_count() == 1);
}

BOOST_AUTO_TEST_CASE(a_stopped_context_is_restarted_to_drain)
{
  blitz::io_context ctx;
  blitz::steady_timer t(ctx, 20ms);
  error_code got = blitz::error::would_block;
  t.async_wait([&](const error_code& ec) { got = ec; });
  ctx.stop(); // as a signal handler would, before shutting down
  ctx.run();
  BOOST_TEST((got == blitz::error::would_block));
  auto report = ctx.shutdown(10s);
  BOOST_TEST(report.drained);
  BOOST_TEST(!got);
  BOOST_TEST(report.handlers_run == 1u);
}

BOOST_AUTO_TEST_CASE(zero_grace_cancels_at_once)
{
  connected_pair p;
  char buf[8];
  error_code got;
  p.server.async_read_some(blitz::buffer(buf),
                           [&](const error_code& ec, std::size_t) { got = ec; });
  auto report = p.ctx.shutdown(0s);
  BOOST_TEST(aborted(got));
  BOOST_TEST(report.io_cancelled == 1u);
  BOOST_TEST((report.elapsed < 5s));
}

BOOST_AUTO_TEST_CASE(nothing_to_do_drains_at_once)
{
  blitz::io_context ctx;
  auto report = ctx.shutdown(10s);
  BOOST_TEST(report.drained);
  BOOST_TEST(report.handlers_run == 0u);
  BOOST_TEST((report.elapsed < 5s));
}

BOOST_AUTO_TEST_CASE(shutdown_from_a_handler_of_the_same_context_throws)
{
  blitz::io_context ctx;
  error_code thrown;
  blitz::post(ctx, [&] {
    try
    {
      ctx.shutdown(1s);
    }
    catch (const boost::system::system_error& e)
    {
      thrown = e.code();
    }
  });
  ctx.run();
  BOOST_TEST((thrown == boost::system::errc::resource_deadlock_would_occur));
}

BOOST_AUTO_TEST_CASE(threads_running_the_context_return_and_every_handler_runs_once)
{
  connected_pair p;
  constexpr int sockets = 8;
  std::vector<std::unique_ptr<tcp::socket>> clients;
  std::vector<std::unique_ptr<tcp::socket>> servers;
  std::atomic<int> aborted_calls{0}, other_calls{0};
  char bufs[sockets][4];
  for (int i = 0; i < sockets; ++i)
  {
    clients.emplace_back(new tcp::socket(p.ctx));
    servers.emplace_back(new tcp::socket(p.ctx));
    clients.back()->connect(p.acceptor.local_endpoint());
    p.acceptor.accept(*servers.back());
    servers.back()->async_read_some(blitz::buffer(bufs[i]), [&](const error_code& ec, std::size_t) {
      (aborted(ec) ? aborted_calls : other_calls)++;
    });
  }
  blitz::steady_timer t(p.ctx, 1h);
  t.async_wait([&](const error_code& ec) { (aborted(ec) ? aborted_calls : other_calls)++; });
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i)
    runners.emplace_back([&] { p.ctx.run(); });
  auto report = p.ctx.shutdown(30ms);
  for (auto& r : runners)
    r.join();
  BOOST_TEST(!report.drained);
  BOOST_TEST(report.io_cancelled == static_cast<std::size_t>(sockets));
  BOOST_TEST(report.timers_cancelled == 1u);
  BOOST_TEST(report.abandoned == 0u);
  BOOST_TEST(aborted_calls.load() == sockets + 1);
  BOOST_TEST(other_calls.load() == 0);
}

BOOST_AUTO_TEST_CASE(single_thread_context_is_shut_down_by_its_own_thread)
{
  blitz::io_context::options o;
  o.single_thread = true;
  blitz::io_context ctx(o);
  blitz::steady_timer t(ctx, 1h);
  error_code got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  std::promise<void> polled, tried;
  std::future<void> polled_f = polled.get_future(), tried_f = tried.get_future();
  blitz::shutdown_report by_owner;
  std::thread owner([&] {
    ctx.poll(); // the first thread to run it owns it
    polled.set_value();
    tried_f.wait();
    by_owner = ctx.shutdown(0s);
  });
  polled_f.wait();
  error_code thrown;
  blitz::shutdown_report by_main;
  try
  {
    by_main = ctx.shutdown(0s);
  }
  catch (const boost::system::system_error& e)
  {
    thrown = e.code();
  }
  tried.set_value();
  owner.join();
  if (std::string(ctx.backend_name()) == "io_uring")
  {
    // Another thread owns the ring: this one could neither reap nor cancel.
    BOOST_TEST((thrown == boost::system::errc::operation_not_permitted));
    BOOST_TEST(by_owner.timers_cancelled == 1u);
  }
  else
  {
    BOOST_TEST(!thrown); // epoll has no owner thread: the first call cancels
    BOOST_TEST(by_main.timers_cancelled == 1u);
    BOOST_TEST(by_owner.drained);
  }
  BOOST_TEST(aborted(got));
}
