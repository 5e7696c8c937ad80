// Several operations of one direction outstanding on one descriptor complete in the order
// they were started, with the data in that order, as in Asio: on io_uring the kernel wakes
// the later of two waiting receives first, so the backend issues them one at a time.
// Cancelling or closing reaches the waiting ones too, each completing exactly once.
#define BOOST_TEST_MODULE op_order
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using blitz::ip::tcp;
using blitz::ip::udp;
using boost::system::error_code;
using blitz_test::connected_pair;

namespace {

blitz::io_context::options single_thread()
{
  blitz::io_context::options o;
  o.single_thread = true;
  return o;
}

// Both kinds of io_uring ring (a shared one, and a single-issuer one with deferred
// completion work); the same epoll backend twice.
std::vector<blitz::io_context::options> contexts()
{
  return {blitz::io_context::options(), single_thread()};
}

} // namespace

BOOST_AUTO_TEST_CASE(stream_receives_take_the_bytes_in_the_order_they_were_started)
{
  for (const auto& o : contexts())
  {
    connected_pair p(o);
    for (int round = 0; round < 3; ++round)
    {
      char b1[3], b2[3], b3[3];
      std::vector<std::string> log;
      auto record = [&](const char* name, const char* b) {
        return [&log, name, b](const error_code& ec, std::size_t n) {
          BOOST_TEST(!ec);
          log.push_back(std::string(name) + "=" + std::string(b, n));
        };
      };
      p.client.async_read_some(blitz::buffer(b1), record("r1", b1));
      p.client.async_read_some(blitz::buffer(b2), record("r2", b2));
      p.client.async_read_some(blitz::buffer(b3), record("r3", b3));
      p.ctx.poll(); // all three reach the kernel's wait (or their lane) before the data
      blitz::write(p.server, blitz::buffer("abcdefghi", 9));
      p.ctx.run();
      p.ctx.restart();
      std::vector<std::string> expected{"r1=abc", "r2=def", "r3=ghi"};
      BOOST_TEST(log == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(datagram_receives_take_the_datagrams_in_order)
{
  for (const auto& o : contexts())
  {
    blitz::io_context ctx(o);
    udp::socket rx(ctx, udp::endpoint(blitz::ip::address_v4::loopback(), 0));
    udp::socket tx(ctx, udp::v4());
    char b1[16], b2[16];
    udp::endpoint from2;
    std::vector<std::string> log;
    rx.async_receive(blitz::buffer(b1), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      log.push_back("u1=" + std::string(b1, n));
    });
    rx.async_receive_from(blitz::buffer(b2), from2, [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      log.push_back("u2=" + std::string(b2, n));
    });
    ctx.poll();
    tx.send_to(blitz::buffer("first", 5), rx.local_endpoint());
    tx.send_to(blitz::buffer("second", 6), rx.local_endpoint());
    ctx.run();
    std::vector<std::string> expected{"u1=first", "u2=second"};
    BOOST_TEST(log == expected, boost::test_tools::per_element());
    BOOST_TEST(from2.port() == tx.local_endpoint().port());
  }
}

// Two sends outstanding while the send buffer is full: the bytes of the first reach the
// peer before those of the second.
BOOST_AUTO_TEST_CASE(sends_that_find_the_buffer_full_keep_their_order)
{
  for (const auto& o : contexts())
  {
    connected_pair p(o);
    p.client.set_option(tcp::socket::send_buffer_size(4096));
    // Fill the buffers with 'f' until a non-blocking write would block.
    p.client.non_blocking(true);
    std::vector<char> filler(4096, 'f');
    std::size_t filled = 0;
    for (;;)
    {
      error_code ec;
      std::size_t n = p.client.write_some(blitz::buffer(filler), ec);
      if (ec)
        break;
      filled += n;
    }
    BOOST_REQUIRE(filled > 0);
    std::vector<char> a(20000, 'A'), b(20000, 'B');
    std::size_t sent_a = 0, sent_b = 0;
    int done = 0;
    p.client.async_write_some(blitz::buffer(a), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      sent_a = n;
      ++done;
    });
    p.client.async_write_some(blitz::buffer(b), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      sent_b = n;
      ++done;
    });
    p.ctx.poll();
    // Drain what the peer receives until both sends are done and their bytes have come.
    std::string got;
    std::vector<char> buf(65536);
    while (done < 2 || got.size() < filled + sent_a + sent_b)
    {
      error_code ec;
      std::size_t n = p.server.read_some(blitz::buffer(buf), ec);
      BOOST_REQUIRE(!ec);
      got.append(buf.data(), n);
      p.ctx.poll();
      p.ctx.restart();
    }
    BOOST_REQUIRE(sent_a > 0);
    BOOST_REQUIRE(sent_b > 0);
    BOOST_REQUIRE(got.size() == filled + sent_a + sent_b);
    std::string expected = std::string(filled, 'f') + std::string(sent_a, 'A') +
                           std::string(sent_b, 'B');
    BOOST_TEST((got == expected));
  }
}

BOOST_AUTO_TEST_CASE(accepts_take_the_connections_in_order)
{
  for (const auto& o : contexts())
  {
    blitz::io_context ctx(o);
    tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
    tcp::socket a1(ctx), a2(ctx), c1(ctx), c2(ctx);
    std::vector<int> order;
    acceptor.async_accept(a1, [&](const error_code& ec) {
      BOOST_TEST(!ec);
      order.push_back(1);
    });
    acceptor.async_accept(a2, [&](const error_code& ec) {
      BOOST_TEST(!ec);
      order.push_back(2);
    });
    ctx.poll();
    c1.connect(acceptor.local_endpoint());
    c2.connect(acceptor.local_endpoint());
    ctx.run();
    std::vector<int> expected{1, 2};
    BOOST_TEST(order == expected, boost::test_tools::per_element());
    BOOST_TEST((a1.remote_endpoint() == c1.local_endpoint()));
    BOOST_TEST((a2.remote_endpoint() == c2.local_endpoint()));
  }
}

// Cancelling the second of three receives (per-operation) aborts it alone: the first and
// third still take the bytes, in order.
BOOST_AUTO_TEST_CASE(cancelling_a_waiting_receive_aborts_it_alone)
{
  for (const auto& o : contexts())
  {
    connected_pair p(o);
    char b1[3], b2[3], b3[3];
    std::vector<std::string> log;
    blitz::cancellation_signal sig;
    p.client.async_read_some(blitz::buffer(b1), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      log.push_back("r1=" + std::string(b1, n));
    });
    p.client.async_read_some(
        blitz::buffer(b2),
        blitz::bind_cancellation_slot(sig.slot(), [&](const error_code& ec, std::size_t n) {
          BOOST_TEST((ec == blitz::error::operation_aborted));
          BOOST_TEST(n == 0u);
          log.push_back("r2 aborted");
        }));
    p.client.async_read_some(blitz::buffer(b3), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      log.push_back("r3=" + std::string(b3, n));
    });
    p.ctx.poll();
    sig.emit(blitz::cancellation_type::terminal);
    p.ctx.poll();
    blitz::write(p.server, blitz::buffer("abcdef", 6));
    p.ctx.run();
    std::vector<std::string> expected{"r2 aborted", "r1=abc", "r3=def"};
    BOOST_TEST(log == expected, boost::test_tools::per_element());
  }
}

// close() with a receive in flight and two waiting behind it: each completes once, with
// operation_aborted.
BOOST_AUTO_TEST_CASE(close_aborts_the_receive_in_flight_and_those_waiting_once_each)
{
  for (const auto& o : contexts())
  {
    connected_pair p(o);
    char b[3][3];
    int aborted[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i)
      p.client.async_read_some(blitz::buffer(b[i]), [&aborted, i](const error_code& ec,
                                                                  std::size_t) {
        if (ec == blitz::error::operation_aborted)
          ++aborted[i];
      });
    p.ctx.poll();
    p.client.close();
    p.ctx.run();
    for (int i = 0; i < 3; ++i)
      BOOST_TEST(aborted[i] == 1, "receive " << i);
  }
}

// cancel() and close() with receives and sends pending: each completes once, with
// operation_aborted, and in the order they were started, as Asio's reactor queues them.
// On io_uring the first of each direction is in the kernel and the others wait behind it:
// they end only after it does.
BOOST_AUTO_TEST_CASE(cancel_and_close_complete_the_pending_ops_in_the_order_they_were_started)
{
  for (const auto& o : contexts())
    for (bool close : {false, true})
    {
      connected_pair p(o);
      // Fill the client's send buffer and the peer's receive window (the peer never
      // reads), so that sends wait too.
      p.client.set_option(tcp::socket::send_buffer_size(4096));
      p.client.non_blocking(true);
      std::vector<char> fill(4096, 'x');
      error_code ec;
      while (!ec)
        p.client.write_some(blitz::buffer(fill), ec);
      p.client.non_blocking(false);
      char b[3][3];
      std::vector<std::string> log;
      auto note = [&log](std::string what) {
        return [&log, what](const error_code& e, std::size_t) {
          log.push_back(what + (e == blitz::error::operation_aborted ? "" : " " + e.message()));
        };
      };
      for (int i = 0; i < 3; ++i)
      {
        p.client.async_read_some(blitz::buffer(b[i]), note("r" + std::to_string(i)));
        p.client.async_write_some(blitz::buffer(fill), note("w" + std::to_string(i)));
      }
      p.ctx.poll();
      if (close)
        p.client.close();
      else
        p.client.cancel();
      p.ctx.run_for(std::chrono::seconds(5)); // bounded: a missed cancel fails, not hangs
      BOOST_TEST(log.size() == 6u);
      // Each is aborted, except that w0 may have gone out after all: on a loaded machine
      // the peer's stack can take in what was queued after the filling write saw EAGAIN.
      std::vector<std::string> reads, writes;
      for (const auto& l : log)
        if (l[0] == 'r')
          reads.push_back(l);
        else if (l.compare(0, 2, "w0") == 0)
          writes.push_back("w0");
        else
          writes.push_back(l);
      std::vector<std::string> er{"r0", "r1", "r2"}, ew{"w0", "w1", "w2"};
      BOOST_TEST(reads == er, boost::test_tools::per_element());
      BOOST_TEST(writes == ew, boost::test_tools::per_element());
    }
}

// A context destroyed with receives waiting in a lane (a session kept alive only by its
// handlers, as Asio servers are written) destroys their handlers without invoking them,
// and so frees the session. Its peer closes first, so the receive in flight completes
// while the context is torn down and the next one reaches the front of the lane then.
BOOST_AUTO_TEST_CASE(destroying_the_context_frees_the_waiting_receives)
{
  struct session
  {
    tcp::socket socket;
    char b[3][3];
    explicit session(blitz::io_context& ctx) : socket(ctx) {}
  };
  for (const auto& o : contexts())
  {
    std::weak_ptr<session> watch;
    int invoked = 0;
    {
      blitz::io_context ctx(o);
      tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
      tcp::socket peer(ctx);
      auto s = std::make_shared<session>(ctx);
      s->socket.connect(acceptor.local_endpoint());
      acceptor.accept(peer);
      for (int i = 0; i < 3; ++i)
        s->socket.async_read_some(blitz::buffer(s->b[i]),
                                  [s, &invoked](const error_code&, std::size_t) { ++invoked; });
      watch = s;
      s.reset();
      ctx.poll();
      BOOST_TEST(!watch.expired());
    }
    BOOST_TEST(watch.expired());
    BOOST_TEST(invoked == 0);
  }
}

// A receive with a deadline (cancel_after) that waits behind another still ends at its
// deadline: io_uring has not issued it, so no linked timeout is armed in the kernel; the
// backend keeps the deadline itself. The receive ahead of it is left alone and takes the
// bytes that come later.
BOOST_AUTO_TEST_CASE(a_waiting_receive_with_a_deadline_ends_at_it)
{
  for (const auto& o : contexts())
  {
    connected_pair p(o);
    char b1[4], b2[4];
    std::vector<std::string> log;
    p.client.async_read_some(blitz::buffer(b1), [&](const error_code& ec, std::size_t n) {
      log.push_back(ec ? "r1 " + ec.message() : "r1=" + std::string(b1, n));
    });
    auto start = std::chrono::steady_clock::now();
    auto timed_out_after = std::chrono::steady_clock::duration::zero();
    p.client.async_read_some(
        blitz::buffer(b2),
        blitz::cancel_after(std::chrono::milliseconds(30), [&](const error_code& ec,
                                                                std::size_t) {
          timed_out_after = std::chrono::steady_clock::now() - start;
          log.push_back(ec == blitz::error::operation_aborted ? "r2 aborted"
                                                              : "r2 " + ec.message());
        }));
    // Bounded: were the deadline not kept, r2 would wait for ever behind r1.
    p.ctx.run_for(std::chrono::milliseconds(500));
    p.ctx.restart();
    BOOST_TEST(log == std::vector<std::string>{"r2 aborted"}, boost::test_tools::per_element());
    BOOST_TEST((timed_out_after >= std::chrono::milliseconds(30)));
    BOOST_TEST((timed_out_after < std::chrono::milliseconds(400)));
    blitz::write(p.server, blitz::buffer("data", 4));
    p.ctx.run_for(std::chrono::seconds(2));
    std::vector<std::string> expected{"r2 aborted", "r1=data"};
    BOOST_TEST(log == expected, boost::test_tools::per_element());
  }
}
