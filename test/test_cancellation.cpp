// Per-operation cancellation: cancellation_signal / cancellation_slot /
// bind_cancellation_slot on socket operations, on both backends.
#define BOOST_TEST_MODULE cancellation
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <functional>
#include <memory>
#include <string>

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

using blitz_test::connected_pair;

} // namespace

BOOST_AUTO_TEST_CASE(emit_aborts_the_pending_read_once)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char buf[4];
  int calls = 0;
  error_code got;
  p.client.async_read_some(blitz::buffer(buf),
                           blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t) {
                             ++calls;
                             got = ec;
                           }));
  BOOST_TEST(sig.slot().has_handler());
  p.ctx.poll(); // the read is now waiting in the backend
  sig.emit(blitz::cancellation_type::terminal);
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST(!sig.slot().has_handler()); // disconnected on completion
  sig.emit(blitz::cancellation_type::terminal); // nothing left to cancel: harmless

  // The socket and the other direction are unaffected.
  p.ctx.restart();
  blitz::write(p.server, blitz::buffer("ok", 2));
  std::size_t n = 0;
  p.client.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  p.ctx.run();
  BOOST_TEST(n == 2u);
}

BOOST_AUTO_TEST_CASE(emit_cancels_only_its_own_operation)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char a[4], b[4];
  error_code read_ec = blitz::error::would_block, wait_ec = blitz::error::would_block;
  p.client.async_read_some(blitz::buffer(a),
                           blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t) {
                             read_ec = ec;
                           }));
  p.server.async_read_some(blitz::buffer(b), [&](const error_code& ec, std::size_t) { wait_ec = ec; });
  p.ctx.poll();
  sig.emit(blitz::cancellation_type::total);
  p.ctx.poll();
  BOOST_TEST((read_ec == blitz::error::operation_aborted));
  BOOST_TEST((wait_ec == blitz::error::would_block)); // still pending
  blitz::write(p.client, blitz::buffer("z", 1));
  p.ctx.run();
  BOOST_TEST(!wait_ec);
}

BOOST_AUTO_TEST_CASE(completed_operation_is_not_cancelled)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  blitz::write(p.server, blitz::buffer("abc", 3));
  char buf[3];
  error_code got = blitz::error::would_block;
  std::size_t n = 0;
  p.client.async_read_some(blitz::buffer(buf),
                           blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t k) {
                             got = ec;
                             n = k;
                           }));
  p.ctx.run();
  sig.emit(blitz::cancellation_type::terminal);
  BOOST_TEST(!got);
  BOOST_TEST(n == 3u);
}

// A send that has room completes as it starts (epoll; io_uring sends it with send(2) when
// it would travel alone in the ring). Closing the socket and emitting before its handler
// runs must leave one completion with a consistent result, and the emit must not look at
// the closed socket's freed state (under ASan the slab pool poisons it: io_uring ops that
// kept pointing at their descriptor after completing were reported here).
BOOST_AUTO_TEST_CASE(emit_after_close_leaves_a_send_that_already_completed)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  error_code got = blitz::error::would_block;
  std::size_t n = 0;
  int calls = 0;
  blitz::post(p.ctx, [&] {
    p.client.async_send(blitz::buffer("abc", 3),
                        blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t k) {
                          ++calls;
                          got = ec;
                          n = k;
                        }));
  });
  p.ctx.run_one(); // the posted handler only: the send is started, its handler not run
  p.client.close();
  sig.emit(blitz::cancellation_type::terminal);
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST(calls == 1);
  // Either it went out before the close, or the close aborted it: never both, never lost.
  BOOST_TEST((!got || got == blitz::error::operation_aborted));
  if (!got)
  {
    BOOST_TEST(n == 3u);
    char buf[3];
    BOOST_TEST(blitz::read(p.server, blitz::buffer(buf)) == 3u);
    BOOST_TEST(std::string(buf, 3) == "abc");
  }
}

// A read that the close aborted waits in the run queue with its slot still connected, while
// the closed socket's state is freed (on epoll at the close itself when no reap is in
// progress, else at the next reap, which the handler between close and emit provides). The
// emit must leave that state alone: under ASan the slab pool poisons it, and the epoll
// backend used to keep pointing at it.
BOOST_AUTO_TEST_CASE(emit_after_close_and_a_reap_leaves_the_aborted_read_alone)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char buf[4], other[4];
  int calls = 0;
  error_code got;
  p.client.async_read_some(blitz::buffer(buf),
                           blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t) {
                             ++calls;
                             got = ec;
                           }));
  int other_calls = 0;
  p.server.async_read_some(blitz::buffer(other), [&](const error_code&, std::size_t) { ++other_calls; });
  p.ctx.poll(); // both reads wait in the backend
  blitz::post(p.ctx, [&] { p.client.close(); });
  blitz::post(p.ctx, [] {});
  blitz::post(p.ctx, [&] {
    BOOST_TEST(calls == 0); // still queued behind this handler
    sig.emit(blitz::cancellation_type::terminal);
    p.server.close();
  });
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST(other_calls == 1);
}

BOOST_AUTO_TEST_CASE(composed_read_cancelled_midway_reports_bytes_so_far)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char buf[10];
  error_code got;
  std::size_t total = 0;
  blitz::write(p.server, blitz::buffer("12345", 5));
  blitz::async_read(p.client, blitz::buffer(buf),
                    blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t k) {
                      got = ec;
                      total = k;
                    }));
  // Run until the first five bytes are in and the second step waits.
  for (int i = 0; i < 10; ++i)
    p.ctx.poll();
  sig.emit(blitz::cancellation_type::partial);
  p.ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST(total == 5u);
}

// As in Asio: a composed operation honours terminal and partial cancellation only. `total`
// asks to cancel only if nothing has happened, which a transfer that may have moved bytes
// cannot promise: the emit is ignored and the transfer completes. An elementary operation
// honours all three.
BOOST_AUTO_TEST_CASE(total_cancellation_is_ignored_by_composed_operations)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  char buf[4];
  std::string result;
  // The handler of the operation under test, bound to sig's slot.
  auto recorder = [&] {
    result = "pending";
    return blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t n) {
      result = (ec == blitz::error::operation_aborted ? std::string("aborted")
                                                      : ec ? ec.message() : std::string("ok")) +
               " " + std::to_string(n);
    });
  };
  // Emits `total` while the operation waits, then sends feed if it is still pending;
  // returns what it had reported right after the emit, and in the end.
  auto emit_total_then_feed = [&](const std::string& feed) {
    p.ctx.poll();
    sig.emit(blitz::cancellation_type::total);
    p.ctx.poll();
    std::string after_emit = result;
    if (result == "pending")
    {
      blitz::write(p.server, blitz::buffer(feed));
      p.ctx.run();
    }
    p.ctx.restart();
    return after_emit + " / " + result;
  };

  blitz::async_read(p.client, blitz::buffer(buf), recorder());
  BOOST_TEST(emit_total_then_feed("wxyz") == "pending / ok 4");
  blitz::streambuf sb;
  blitz::async_read_until(p.client, sb, '\n', recorder());
  BOOST_TEST(emit_total_then_feed("z\n") == "pending / ok 2");
  p.client.async_read_some(blitz::buffer(buf), recorder());
  BOOST_TEST(emit_total_then_feed("unused") == "aborted 0 / aborted 0");
}

BOOST_AUTO_TEST_CASE(accept_and_connect_are_cancellable)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  blitz::cancellation_signal sig;
  error_code got;
  acceptor.async_accept(blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, tcp::socket) {
    got = ec;
  }));
  ctx.poll();
  sig.emit(blitz::cancellation_type::terminal);
  ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(cancel_racing_completion_via_slot_calls_each_handler_once)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  const int n = 20000;
  int calls = 0, completed = 0, aborted = 0, other = 0;
  std::size_t bytes_read = 0;
  char buf[1];
  std::function<void(int)> round = [&](int i) {
    if (i == n)
      return;
    blitz::write(p.client, blitz::buffer("x", 1));
    p.server.async_read_some(blitz::buffer(buf),
                             blitz::bind_cancellation_slot(sig.slot(), [&, i](const error_code& ec, std::size_t k) {
                               ++calls;
                               if (!ec)
                               {
                                 ++completed;
                                 bytes_read += k;
                               }
                               else if (ec == blitz::error::operation_aborted)
                                 ++aborted;
                               else
                                 ++other;
                               round(i + 1);
                             }));
    sig.emit(blitz::cancellation_type::terminal);
  };
  round(0);
  p.ctx.run();
  BOOST_TEST(calls == n);
  BOOST_TEST(other == 0);
  BOOST_TEST(completed + aborted == n);
  BOOST_TEST(bytes_read + p.server.available() == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_CASE(destroying_context_with_connected_slot_is_safe)
{
  blitz::cancellation_signal sig; // outlives the context, as it must
  bool invoked = false;
  {
    connected_pair p;
    char buf[4];
    p.client.async_read_some(blitz::buffer(buf),
                             blitz::bind_cancellation_slot(sig.slot(), [&](const error_code&, std::size_t) {
                               invoked = true;
                             }));
    p.ctx.poll();
  }
  BOOST_TEST(!invoked);
  BOOST_TEST(!sig.slot().has_handler());
  sig.emit(blitz::cancellation_type::terminal); // must not touch the freed op
}
