// Per-operation deadlines: cancel_after(duration, handler), firing and not firing, on both
// backends (io_uring: linked timeout in the kernel; epoll: the backend's deadline wheel).
#define BOOST_TEST_MODULE cancel_after
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using blitz::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

using blitz_test::connected_pair;

} // namespace

BOOST_AUTO_TEST_CASE(read_times_out_with_operation_aborted)
{
  connected_pair p;
  char buf[8];
  error_code got;
  int calls = 0;
  auto start = steady::now();
  steady::time_point done;
  p.client.async_read_some(blitz::buffer(buf), blitz::cancel_after(30ms, [&](const error_code& ec, std::size_t) {
                             ++calls;
                             got = ec;
                             done = steady::now();
                           }));
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST((done - start >= 29ms)); // never early (1 ms slack for clock granularity)
  BOOST_TEST((done - start < 5s));
}

BOOST_AUTO_TEST_CASE(read_completing_first_is_not_cancelled_and_leaves_nothing_behind)
{
  connected_pair p;
  char buf[8];
  error_code got = blitz::error::would_block;
  std::size_t n = 0;
  p.client.async_read_some(blitz::buffer(buf), blitz::cancel_after(10s, [&](const error_code& ec, std::size_t k) {
                             got = ec;
                             n = k;
                           }));
  blitz::steady_timer t(p.ctx, 10ms);
  t.async_wait([&](const error_code&) { blitz::write(p.server, blitz::buffer("hey", 3)); });
  auto start = steady::now();
  p.ctx.run(); // must return as soon as the read is done: the deadline holds no work
  BOOST_TEST(!got);
  BOOST_TEST(n == 3u);
  BOOST_TEST((steady::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(composed_read_deadline_covers_the_whole_transfer)
{
  connected_pair p;
  char buf[10];
  error_code got;
  std::size_t total = 0;
  blitz::write(p.server, blitz::buffer("12345", 5));
  blitz::async_read(p.client, blitz::buffer(buf), blitz::cancel_after(40ms, [&](const error_code& ec, std::size_t k) {
                      got = ec;
                      total = k;
                    }));
  p.ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST(total == 5u);
}

// Every composed operation carries the deadline to its steps: read_until, reads into a
// dynamic buffer, and operations written with async_compose. (Without it each step waited
// for ever: a deadline reached only the operations started with the wrapper itself.)
namespace {

struct read_twice
{
  tcp::socket& s;
  char* buf;
  template <class Self>
  void operator()(Self& self, error_code ec = error_code(), std::size_t n = 0)
  {
    if (self.invocations() < 3 && !ec)
      return s.async_read_some(blitz::buffer(buf, 4), std::move(self));
    self.complete(ec, n);
  }
};

} // namespace

// Starts one operation on a fresh pair, given a handler with a 30 ms deadline: it must end
// aborted, once. run_for bounds the wait: without the deadline the step waits for ever.
template <class Start>
void check_deadline_aborts(Start start)
{
  connected_pair p;
  error_code got;
  int calls = 0;
  start(p, blitz::cancel_after(30ms, [&](const error_code& ec, std::size_t) {
          ++calls;
          got = ec;
        }));
  p.ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(deadline_reaches_every_kind_of_composed_operation)
{
  std::string line;
  check_deadline_aborts([&](connected_pair& p, auto handler) {
    blitz::write(p.server, blitz::buffer("no newline", 10));
    blitz::async_read_until(p.client, blitz::dynamic_buffer(line), '\n', std::move(handler));
  });
  std::vector<char> all;
  check_deadline_aborts([&](connected_pair& p, auto handler) {
    blitz::async_read(p.client, blitz::dynamic_buffer(all), blitz::transfer_at_least(100),
                      std::move(handler));
  });
  char buf[4];
  check_deadline_aborts([&](connected_pair& p, auto handler) {
    blitz::write(p.server, blitz::buffer("abcd", 4)); // the first step completes, the second waits
    blitz::async_compose<decltype(handler), void(error_code, std::size_t)>(
        read_twice{p.client, buf}, handler, p.client);
  });
}

// A connect over a range carries the deadline to every attempt. The listener's accept queue
// is full (backlog 0, one connection waiting), so the kernel drops the attempt's SYN and
// the connect would wait for the retransmissions (minutes) without the deadline.
BOOST_AUTO_TEST_CASE(range_connect_deadline_reaches_each_attempt)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx);
  acceptor.open(tcp::v4());
  acceptor.bind(tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  acceptor.listen(0);
  tcp::socket filler(ctx);
  filler.connect(acceptor.local_endpoint());
  tcp::socket s(ctx);
  std::vector<tcp::endpoint> endpoints{acceptor.local_endpoint()};
  error_code got;
  int calls = 0;
  auto start = steady::now();
  blitz::async_connect(s, endpoints,
                       blitz::cancel_after(50ms, [&](const error_code& ec, const tcp::endpoint&) {
                         ++calls;
                         got = ec;
                       }));
  ctx.run_for(3s); // bounded: without the deadline the attempt waits for ever here
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST((steady::now() - start < 2s));
}

// An operation with a deadline started from a thread that does not run the context, while
// the thread that does sleeps in the backend with nothing else to wait for: the sleeper must
// wake for the deadline. (epoll waited without it: the read stayed pending for ever.)
BOOST_AUTO_TEST_CASE(deadline_of_an_operation_started_from_another_thread)
{
  connected_pair p;
  auto work = blitz::make_work_guard(p.ctx);
  std::thread runner([&] { p.ctx.run(); });
  std::this_thread::sleep_for(20ms); // the runner is asleep, with no timeout
  char buf[4];
  std::atomic<int> calls{0};
  std::atomic<bool> aborted{false};
  p.client.async_read_some(blitz::buffer(buf), blitz::cancel_after(20ms, [&](const error_code& ec, std::size_t) {
                             aborted = ec == blitz::error::operation_aborted;
                             ++calls;
                           }));
  for (int i = 0; i < 300 && calls.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(calls.load() == 1);
  BOOST_TEST(aborted.load());
  if (calls.load() == 0)
    blitz::post(p.ctx, [&] { p.client.close(); }); // let the runner finish either way
  work.reset();
  runner.join();
}

BOOST_AUTO_TEST_CASE(accept_times_out)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  error_code got;
  acceptor.async_accept(blitz::cancel_after(20ms, [&](const error_code& ec, tcp::socket) { got = ec; }));
  ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST(acceptor.is_open()); // the acceptor itself is still usable
}

BOOST_AUTO_TEST_CASE(many_deadlines_mixed_outcomes)
{
  connected_pair p;
  // A loop of reads, each with a deadline; every other round data arrives in time.
  const int rounds = 200;
  int ok = 0, timed_out = 0, other = 0;
  char buf[1];
  std::function<void(int)> round = [&](int i) {
    if (i == rounds)
      return;
    if (i % 2 == 0)
      blitz::write(p.server, blitz::buffer("x", 1));
    p.client.async_read_some(blitz::buffer(buf), blitz::cancel_after(2ms, [&, i](const error_code& ec, std::size_t) {
                               if (!ec)
                                 ++ok;
                               else if (ec == blitz::error::operation_aborted)
                                 ++timed_out;
                               else
                                 ++other;
                               round(i + 1);
                             }));
  };
  round(0);
  p.ctx.run();
  BOOST_TEST(ok == rounds / 2);
  BOOST_TEST(timed_out == rounds / 2);
  BOOST_TEST(other == 0);
}

BOOST_AUTO_TEST_CASE(deadline_with_cancellation_slot_and_executor)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char buf[4];
  error_code got;
  // Both mechanisms on one operation: the explicit cancel wins long before the deadline.
  p.client.async_read_some(
      blitz::buffer(buf),
      blitz::bind_cancellation_slot(sig.slot(), blitz::cancel_after(10s, [&](const error_code& ec, std::size_t) {
                                      got = ec;
                                    })));
  p.ctx.poll();
  sig.emit(blitz::cancellation_type::terminal);
  auto start = steady::now();
  p.ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST((steady::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(destroying_context_with_deadline_pending)
{
  bool invoked = false;
  {
    connected_pair p;
    char buf[4];
    p.client.async_read_some(blitz::buffer(buf), blitz::cancel_after(10s, [&](const error_code&, std::size_t) {
                               invoked = true;
                             }));
    p.ctx.poll();
  }
  BOOST_TEST(!invoked);
}
