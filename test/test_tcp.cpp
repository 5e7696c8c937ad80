#define BOOST_TEST_MODULE tcp
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using blitz::ip::tcp;
using boost::system::error_code;

namespace {

tcp::endpoint loopback_any() { return tcp::endpoint(blitz::ip::address_v4::loopback(), 0); }

// A connected pair made with the synchronous calls.
using blitz_test::connected_pair;

// io_uring's single-issuer ring with deferred completion work; no difference on epoll.
blitz::io_context::options single_thread()
{
  blitz::io_context::options o;
  o.single_thread = true;
  return o;
}

// Two connections on one context: clients c1, c2 and their accepted peers s1, s2.
struct two_pairs
{
  blitz::io_context ctx;
  tcp::acceptor acceptor{ctx, loopback_any()};
  tcp::socket c1{ctx}, s1{ctx}, c2{ctx}, s2{ctx};
  explicit two_pairs(const blitz::io_context::options& o) : ctx(o)
  {
    c1.connect(acceptor.local_endpoint());
    acceptor.accept(s1);
    c2.connect(acceptor.local_endpoint());
    acceptor.accept(s2);
  }
};

std::vector<char> pattern(std::size_t n, unsigned seed)
{
  std::vector<char> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<char>((i * 31 + seed * 7 + (i >> 9)) & 0xff);
  return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(async_accept_connect_echo)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback_any());
  tcp::socket server(ctx), client(ctx);
  tcp::endpoint peer;
  std::string msg = "hello, blitz";
  std::array<char, 64> sbuf{}, cbuf{};
  int steps = 0;
  acceptor.async_accept(server, peer, [&](const error_code& ec) {
    BOOST_REQUIRE(!ec);
    ++steps;
    BOOST_TEST((peer == client.local_endpoint()));
    blitz::async_read(server, blitz::buffer(sbuf.data(), msg.size()),
                      [&](const error_code& ec, std::size_t n) {
                        BOOST_REQUIRE(!ec);
                        ++steps;
                        blitz::async_write(server, blitz::buffer(sbuf.data(), n),
                                           [&](const error_code& ec, std::size_t) {
                                             BOOST_TEST(!ec);
                                             ++steps;
                                           });
                      });
  });
  client.async_connect(acceptor.local_endpoint(), [&](const error_code& ec) {
    BOOST_REQUIRE(!ec);
    ++steps;
    blitz::async_write(client, blitz::buffer(msg), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      BOOST_TEST(n == msg.size());
      ++steps;
      blitz::async_read(client, blitz::buffer(cbuf.data(), msg.size()),
                        [&](const error_code& ec, std::size_t n) {
                          BOOST_TEST(!ec);
                          BOOST_TEST(std::string(cbuf.data(), n) == msg);
                          ++steps;
                        });
    });
  });
  ctx.run();
  BOOST_TEST(steps == 6);
}

BOOST_AUTO_TEST_CASE(a_nested_run_that_completes_an_op_the_handler_started_keeps_the_rest)
{
  // A handler, the context's only work, starts two reads, sends the first one its data and
  // runs the context itself, which completes that read. The second read is still work: the
  // nested run must not find the context out of work and stop it, or run() returns with the
  // read pending. (An op's unit counted privately by the starting thread, as a post is,
  // went missing from the shared count that the nested run's completion took it from.)
  for (const auto& opts : {blitz::io_context::options(), single_thread()})
  {
    two_pairs p(opts);
    blitz::io_context& ctx = p.ctx;
    tcp::socket &c1 = p.c1, &s1 = p.s1, &c2 = p.c2, &s2 = p.s2;
    char b1 = 0, b2 = 0;
    int first = -1, second = -1;
    blitz::post(ctx, [&] {
      s1.async_read_some(blitz::buffer(&b1, 1), [&](const error_code& ec, std::size_t n) {
        first = ec ? -1 : static_cast<int>(n);
      });
      s2.async_read_some(blitz::buffer(&b2, 1), [&](const error_code& ec, std::size_t n) {
        second = ec ? -1 : static_cast<int>(n);
      });
      // Only now: a read finding its data at once completes without the backend (epoll).
      blitz::write(c1, blitz::buffer("x", 1));
      auto end = std::chrono::steady_clock::now() + 5s;
      while (first < 0 && std::chrono::steady_clock::now() < end)
        ctx.run_one_for(10ms);
      blitz::write(c2, blitz::buffer("y", 1));
    });
    ctx.run_for(5s);
    BOOST_TEST(first == 1);
    BOOST_TEST(second == 1);
    BOOST_TEST(b2 == 'y');
  }
}

BOOST_AUTO_TEST_CASE(sends_a_run_one_handler_started_leave_before_run_one_returns)
{
  // One handler sends on two sockets and run_one() returns after it. The second send could
  // not go out with send(2) at once (the first one's completion was queued), so it waits
  // in io_uring's SQ: run_one() must hand it to the kernel before returning, or the bytes
  // stay in this process until the context happens to run again. Both peers get their byte
  // with nobody running the context. (On epoll both sends are made at once.)
  for (const auto& opts : {blitz::io_context::options(), single_thread()})
  {
    two_pairs p(opts);
    blitz::io_context& ctx = p.ctx;
    tcp::socket &c1 = p.c1, &s1 = p.s1, &c2 = p.c2, &s2 = p.s2;
    int sent = 0;
    blitz::post(ctx, [&] {
      s1.async_send(blitz::buffer("a", 1), [&](const error_code& ec, std::size_t) { sent += !ec; });
      s2.async_send(blitz::buffer("b", 1), [&](const error_code& ec, std::size_t) { sent += !ec; });
    });
    BOOST_TEST(ctx.run_one() == 1u);
    for (auto* c : {&c1, &c2})
    {
      c->non_blocking(true);
      char b = 0;
      error_code ec;
      auto end = std::chrono::steady_clock::now() + 5s;
      do
      {
        c->read_some(blitz::buffer(&b, 1), ec);
        if (ec == blitz::error::would_block)
          std::this_thread::sleep_for(1ms);
      } while (ec == blitz::error::would_block && std::chrono::steady_clock::now() < end);
      BOOST_TEST(!ec);
      BOOST_TEST(b == (c == &c1 ? 'a' : 'b'));
    }
    ctx.run();
    BOOST_TEST(sent == 2);
  }
}

BOOST_AUTO_TEST_CASE(move_accept_hands_a_connected_socket)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback_any());
  tcp::socket client(ctx);
  bool accepted = false;
  acceptor.async_accept([&](const error_code& ec, tcp::socket s) {
    BOOST_REQUIRE(!ec);
    accepted = true;
    BOOST_TEST(s.is_open());
    BOOST_TEST((s.remote_endpoint() == client.local_endpoint()));
    const char reply[] = "ok";
    blitz::write(s, blitz::buffer(reply, 2));
  });
  client.connect(acceptor.local_endpoint());
  ctx.run();
  BOOST_TEST(accepted);
  char buf[2];
  BOOST_TEST(blitz::read(client, blitz::buffer(buf)) == 2u);
  BOOST_TEST(std::string(buf, 2) == "ok");
}

BOOST_AUTO_TEST_CASE(synchronous_calls_and_endpoints)
{
  connected_pair p;
  BOOST_TEST((p.client.remote_endpoint() == p.acceptor.local_endpoint()));
  BOOST_TEST((p.server.remote_endpoint() == p.client.local_endpoint()));
  BOOST_TEST(p.client.local_endpoint().address().is_loopback());
  auto data = pattern(10000, 1);
  BOOST_TEST(blitz::write(p.client, blitz::buffer(data)) == data.size());
  std::vector<char> got(data.size());
  error_code ec;
  BOOST_TEST(blitz::read(p.server, blitz::buffer(got), ec) == data.size());
  BOOST_TEST(!ec);
  BOOST_TEST((got == data));
  BOOST_TEST(p.client.write_some(blitz::buffer("x", 1)) == 1u);
  char c = 0;
  BOOST_TEST(p.server.read_some(blitz::buffer(&c, 1)) == 1u);
  BOOST_TEST(c == 'x');
  BOOST_TEST(p.server.available() == 0u);
}

BOOST_AUTO_TEST_CASE(connection_refused_async_sync_and_throwing)
{
  blitz::io_context ctx;
  tcp::endpoint dead;
  {
    tcp::acceptor a(ctx, loopback_any());
    dead = a.local_endpoint();
  } // closed: nothing listens there now
  tcp::socket s(ctx);
  error_code got;
  s.async_connect(dead, [&](const error_code& ec) { got = ec; });
  ctx.run();
  BOOST_TEST((got == blitz::error::connection_refused));

  tcp::socket s2(ctx);
  error_code ec;
  s2.connect(dead, ec);
  BOOST_TEST((ec == blitz::error::connection_refused));

  tcp::socket s3(ctx);
  try
  {
    s3.connect(dead);
    BOOST_FAIL("connect to a closed port did not throw");
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == blitz::error::connection_refused));
  }
}

BOOST_AUTO_TEST_CASE(reset_by_peer)
{
  connected_pair p;
  // Linger with a zero timeout makes close() send RST instead of FIN.
  p.server.set_option(tcp::socket::linger(true, 0));
  p.server.close();
  char buf[16];
  error_code got;
  p.client.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    got = ec;
    BOOST_TEST(n == 0u);
  });
  p.ctx.run();
  BOOST_TEST((got == blitz::error::connection_reset));
}

BOOST_AUTO_TEST_CASE(eof_mid_read_reports_bytes_so_far)
{
  connected_pair p;
  auto half = pattern(50, 2);
  blitz::write(p.server, blitz::buffer(half));
  p.server.shutdown(tcp::socket::shutdown_send);
  std::vector<char> buf(100);
  error_code got;
  std::size_t total = 0;
  blitz::async_read(p.client, blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    got = ec;
    total = n;
  });
  p.ctx.run();
  BOOST_TEST((got == blitz::error::eof));
  BOOST_TEST(total == 50u);
  BOOST_TEST(std::equal(half.begin(), half.end(), buf.begin()));
}

BOOST_AUTO_TEST_CASE(write_larger_than_socket_buffers_completes_fully)
{
  connected_pair p;
  p.client.set_option(tcp::socket::send_buffer_size(65536));
  p.server.set_option(tcp::socket::receive_buffer_size(65536));
  const std::size_t size = 8 * 1024 * 1024; // 64x the buffers
  auto data = pattern(size, 3);
  std::vector<char> got(size);
  std::size_t written = 0, read = 0;
  error_code wec, rec;
  blitz::async_write(p.client, blitz::buffer(data), [&](const error_code& ec, std::size_t n) {
    wec = ec;
    written = n;
  });
  blitz::async_read(p.server, blitz::buffer(got), [&](const error_code& ec, std::size_t n) {
    rec = ec;
    read = n;
  });
  p.ctx.run();
  BOOST_TEST(!wec);
  BOOST_TEST(!rec);
  BOOST_TEST(written == size);
  BOOST_TEST(read == size);
  BOOST_TEST((got == data));
}

// On io_uring a send that would travel alone in the ring is made with send(2) at once (see
// uring_backend::send_now_pays_locked): from the last handler queued, or from a thread not
// running the context. Its handler still runs from the scheduler, after the initiating
// handler has returned, and the bytes are those of a send through the ring.
BOOST_AUTO_TEST_CASE(send_from_a_handler_completes_after_that_handler_returns)
{
  for (const auto& opts : {blitz::io_context::options(), single_thread()})
  {
    connected_pair p(opts);
    const std::string messages[] = {"ping", "pong", "a somewhat longer third message"};
    std::string got;
    char buf[64];
    std::vector<std::string> order;
    std::size_t next = 0;
    bool initiated = false;
    std::function<void()> send_next = [&] {
      initiated = false;
      p.client.async_send(blitz::buffer(messages[next]), [&](const error_code& ec, std::size_t n) {
        order.push_back(initiated ? "sent" : "sent inside the initiating function");
        BOOST_TEST(!ec);
        BOOST_TEST(n == messages[next].size());
        p.server.async_read_some(blitz::buffer(buf, messages[next].size()),
                                 [&](const error_code& rec, std::size_t m) {
                                   order.push_back("received");
                                   BOOST_TEST(!rec);
                                   got.append(buf, m);
                                   if (++next < 3)
                                     send_next();
                                 });
      });
      initiated = true;
      order.push_back("initiated");
    };
    blitz::post(p.ctx, send_next);
    p.ctx.run_for(5s);
    BOOST_TEST(got == messages[0] + messages[1] + messages[2]);
    std::vector<std::string> want;
    for (int i = 0; i < 3; ++i)
      for (const char* step : {"initiated", "sent", "received"})
        want.push_back(step);
    BOOST_TEST(order == want, boost::test_tools::per_element());
  }
}

// A send that finds the socket buffer full waits for room, with or without MSG_DONTWAIT,
// and then delivers its bytes after everything queued before it.
BOOST_AUTO_TEST_CASE(send_to_a_full_socket_buffer_waits_for_room)
{
  for (int variant = 0; variant < 4; ++variant)
  {
    const int flags = variant & 1 ? static_cast<int>(MSG_DONTWAIT) : 0;
    connected_pair p(variant & 2 ? single_thread() : blitz::io_context::options());
    p.client.set_option(tcp::socket::send_buffer_size(16384));
    p.server.set_option(tcp::socket::receive_buffer_size(16384));
    // Fill both buffers with the synchronous call in non-blocking mode, until two pauses
    // longer than a delayed ACK let no more bytes move from the send buffer to the
    // receiver's (its window is closed).
    std::vector<char> queued;
    auto chunk = pattern(4096, 5);
    p.client.non_blocking(true);
    for (int still = 0; still < 2;)
    {
      bool moved = false;
      for (;;)
      {
        error_code ec;
        std::size_t n = p.client.write_some(blitz::buffer(chunk), ec);
        if (ec)
        {
          BOOST_TEST((ec == blitz::error::would_block));
          break;
        }
        moved = true;
        queued.insert(queued.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      }
      still = moved ? 0 : still + 1;
      std::this_thread::sleep_for(60ms);
    }
    p.client.non_blocking(false);

    auto data = pattern(65536, 6);
    std::vector<char> got(queued.size() + data.size());
    std::size_t received = 0;
    int calls = 0;
    std::size_t sent = 0;
    error_code sent_ec;
    blitz::post(p.ctx, [&] {
      p.client.async_send(blitz::buffer(data), flags, [&](const error_code& ec, std::size_t n) {
        ++calls;
        sent_ec = ec;
        sent = n;
        if (received == queued.size() + sent)
          p.server.cancel(); // everything arrived first: end the read still waiting
      });
    });
    p.ctx.run_for(100ms);
    BOOST_TEST(calls == 0); // nobody reads: no room can appear

    std::function<void()> drain = [&] {
      p.server.async_read_some(blitz::buffer(got.data() + received, got.size() - received),
                               [&](const error_code& ec, std::size_t n) {
                                 received += n;
                                 if (!ec && (calls == 0 || received < queued.size() + sent))
                                   drain();
                               });
    };
    drain();
    p.ctx.restart();
    p.ctx.run_for(5s);
    BOOST_TEST(calls == 1);
    BOOST_TEST(!sent_ec);
    BOOST_TEST(sent > 0u);
    BOOST_REQUIRE(received == queued.size() + sent);
    BOOST_TEST(std::equal(queued.begin(), queued.end(), got.begin()));
    BOOST_TEST(std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(sent),
                          got.begin() + static_cast<std::ptrdiff_t>(queued.size())));
  }
}

// MSG_WAITALL on a send: io_uring's send keeps going until every byte is out, so a send
// larger than the socket buffers completes in full there, also when it starts while the
// socket has room (where a send(2) would return what fitted). epoll makes one send(2) per
// readiness, as Asio does, and may report fewer bytes; each byte it reports has arrived.
BOOST_AUTO_TEST_CASE(send_with_msg_waitall_sends_everything_on_io_uring)
{
  for (const auto& opts : {blitz::io_context::options(), single_thread()})
  {
    connected_pair p(opts);
    p.client.set_option(tcp::socket::send_buffer_size(65536));
    p.server.set_option(tcp::socket::receive_buffer_size(65536));
    const std::size_t size = 1024 * 1024;
    auto data = pattern(size, 8);
    std::vector<char> got(size);
    std::size_t sent = 0, received = 0;
    error_code sent_ec;
    int calls = 0;
    blitz::post(p.ctx, [&] {
      p.client.async_send(blitz::buffer(data), MSG_WAITALL,
                          [&](const error_code& ec, std::size_t n) {
                            ++calls;
                            sent_ec = ec;
                            sent = n;
                            if (received == sent)
                              p.server.cancel();
                          });
    });
    std::function<void()> drain = [&] {
      p.server.async_read_some(blitz::buffer(got.data() + received, size - received),
                               [&](const error_code& ec, std::size_t n) {
                                 received += n;
                                 if (!ec && (calls == 0 || received < sent))
                                   drain();
                               });
    };
    drain();
    p.ctx.run_for(10s);
    BOOST_TEST(calls == 1);
    BOOST_TEST(!sent_ec);
    if (std::string(p.ctx.backend_name()) == "io_uring")
      BOOST_TEST(sent == size);
    BOOST_TEST(sent > 0u);
    BOOST_TEST(received == sent);
    BOOST_TEST(std::equal(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(received),
                          data.begin()));
  }
}

BOOST_AUTO_TEST_CASE(scatter_gather)
{
  connected_pair p;
  std::string a = "abc", b = "defgh", c = "ij";
  std::vector<blitz::const_buffer> out{blitz::buffer(a), blitz::buffer(b), blitz::buffer(c)};
  char x[4], y[6];
  std::array<blitz::mutable_buffer, 2> in{{blitz::buffer(x), blitz::buffer(y)}};
  std::size_t w = 0, r = 0;
  blitz::async_write(p.client, out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    w = n;
  });
  blitz::async_read(p.server, in, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    r = n;
  });
  p.ctx.run();
  BOOST_TEST(w == 10u);
  BOOST_TEST(r == 10u);
  BOOST_TEST(std::string(x, 4) + std::string(y, 6) == "abcdefghij");
}

BOOST_AUTO_TEST_CASE(zero_length_read_and_write_complete_without_blocking)
{
  connected_pair p;
  int calls = 0;
  char buf[1];
  p.client.async_read_some(blitz::buffer(buf, 0), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 0u);
    ++calls;
  });
  p.client.async_write_some(blitz::buffer(buf, 0), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 0u);
    ++calls;
  });
  blitz::async_read(p.client, blitz::buffer(buf, 0), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 0u);
    ++calls;
  });
  BOOST_TEST(calls == 0); // never inside the initiating call
  p.ctx.run();
  BOOST_TEST(calls == 3);
  error_code ec;
  BOOST_TEST(p.client.read_some(blitz::buffer(buf, 0), ec) == 0u);
  BOOST_TEST(!ec);
  BOOST_TEST(p.client.write_some(blitz::buffer(buf, 0), ec) == 0u);
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(cancel_pending_read_aborts_once_and_socket_stays_usable)
{
  connected_pair p;
  char buf[8];
  int calls = 0;
  error_code got;
  p.client.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    ++calls;
    got = ec;
  });
  blitz::steady_timer t(p.ctx, 10ms);
  t.async_wait([&](const error_code&) { p.client.cancel(); });
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));

  p.ctx.restart();
  blitz::write(p.server, blitz::buffer("ping", 4));
  std::size_t n = 0;
  p.client.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  p.ctx.run();
  BOOST_TEST(n == 4u);
}

// After a read that came back short (the socket was emptied), the io_uring backend issues
// the next receive with POLL_FIRST and the epoll backend waits for the next event instead
// of trying the syscall. Either must still find data that arrived before the read was
// issued, wait for data that arrives after, and end with eof or operation_aborted.
BOOST_AUTO_TEST_CASE(reads_after_a_short_read_find_data_sent_before_or_after_them)
{
  connected_pair p;
  char buf[16];
  int calls = 0;
  error_code got_ec;
  std::string got;
  auto read = [&] {
    calls = 0;
    got.clear();
    p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
      ++calls;
      got_ec = ec;
      got.assign(buf, n);
    });
  };
  auto run = [&] {
    p.ctx.restart();
    p.ctx.run_for(3s);
  };
  // Sends `s` first, then reads it back.
  auto write_then_read = [&](const std::string& s) {
    blitz::write(p.client, blitz::buffer(s));
    read();
    run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(!got_ec);
    BOOST_TEST(got == s);
  };

  write_then_read("one"); // short: 3 of 16 bytes

  // Already queued when the read starts: no further event will come for it.
  write_then_read("two");

  // Sent while the read waits.
  read();
  p.ctx.restart();
  p.ctx.poll();
  BOOST_TEST(calls == 0);
  blitz::steady_timer t(p.ctx, 20ms);
  t.async_wait([&](const error_code&) { blitz::write(p.client, blitz::buffer("three", 5)); });
  p.ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == "three");

  // Cancelled while it waits; the socket reads on afterwards.
  read();
  t.expires_after(20ms);
  t.async_wait([&](const error_code&) { p.server.cancel(); });
  run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got_ec == blitz::error::operation_aborted));
  write_then_read("four");

  // Its deadline passes while it waits (on io_uring a linked timeout cancels the poll).
  calls = 0;
  p.server.async_read_some(blitz::buffer(buf),
                           blitz::cancel_after(20ms, [&](const error_code& ec, std::size_t) {
                             ++calls;
                             got_ec = ec;
                           }));
  run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got_ec == blitz::error::operation_aborted));

  // The peer's FIN while it waits, after a short read again (an aborted read leaves no
  // hint behind).
  write_then_read("five");
  read();
  t.expires_after(20ms);
  t.async_wait([&](const error_code&) { p.client.shutdown(tcp::socket::shutdown_send); });
  run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got_ec == blitz::error::eof));
}

// A lone urgent byte does not make the socket readable (POLLIN), only POLLPRI: a receive of
// out-of-band data after a short read must not wait for readability first, or it would
// never complete.
BOOST_AUTO_TEST_CASE(out_of_band_receive_after_a_short_read)
{
  connected_pair p;
  char buf[16];
  std::size_t n = 0;
  p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  blitz::write(p.client, blitz::buffer("ab", 2));
  p.ctx.run_for(3s);
  BOOST_TEST(n == 2u);

  p.client.send(blitz::buffer("!", 1), tcp::socket::message_out_of_band);
  p.server.wait(tcp::socket::wait_error); // the urgent byte is there
  int calls = 0;
  error_code got_ec;
  p.server.async_receive(blitz::buffer(buf), tcp::socket::message_out_of_band,
                         [&](const error_code& ec, std::size_t k) {
                           ++calls;
                           got_ec = ec;
                           n = k;
                         });
  p.ctx.restart();
  p.ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(!got_ec);
  BOOST_TEST(n == 1u);
  BOOST_TEST(buf[0] == '!');
}

// MSG_DONTWAIT makes io_uring end a receive that would wait with -EAGAIN instead of arming
// its poll; the backend then polls and issues the receive again. After a short read that
// re-issue must really receive (a poll-first hint carried over would get -EAGAIN for ever).
BOOST_AUTO_TEST_CASE(receive_with_dontwait_after_a_short_read)
{
  connected_pair p;
  char buf[16];
  std::string got;
  int calls = 0;
  auto receive = [&] {
    calls = 0;
    p.server.async_receive(blitz::buffer(buf), MSG_DONTWAIT,
                           [&](const error_code& ec, std::size_t n) {
                             ++calls;
                             BOOST_TEST(!ec);
                             got.assign(buf, n);
                           });
    p.ctx.restart();
    p.ctx.run_for(3s);
  };
  blitz::write(p.client, blitz::buffer("one", 3));
  receive();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == "one");

  blitz::write(p.client, blitz::buffer("two", 3)); // there before the receive starts
  receive();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == "two");

  blitz::steady_timer t(p.ctx, 20ms); // and after it
  t.async_wait([&](const error_code&) { blitz::write(p.client, blitz::buffer("three", 5)); });
  receive();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == "three");
}

// With no urgent data on the socket an out-of-band receive fails at once with EINVAL, as the
// syscall (and Asio) does, instead of waiting for urgent data that may never come.
BOOST_AUTO_TEST_CASE(out_of_band_receive_without_urgent_data_fails_at_once)
{
  connected_pair p;
  char buf[4];
  int calls = 0;
  error_code got_ec;
  p.server.async_receive(blitz::buffer(buf), tcp::socket::message_out_of_band,
                         [&](const error_code& ec, std::size_t) {
                           ++calls;
                           got_ec = ec;
                         });
  p.ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST((got_ec == blitz::error::invalid_argument));
}

// A wait for an exceptional condition ends when the connection hangs up (both directions
// closed): POLLHUP on io_uring, EPOLLHUP on epoll, as for Asio's except_op.
BOOST_AUTO_TEST_CASE(wait_error_ends_on_hang_up)
{
  connected_pair p;
  int calls = 0;
  error_code got_ec;
  p.server.async_wait(tcp::socket::wait_error, [&](const error_code& ec) {
    ++calls;
    got_ec = ec;
  });
  p.ctx.poll();
  BOOST_TEST(calls == 0);
  p.server.shutdown(tcp::socket::shutdown_send);
  p.client.close(); // its FIN closes the other direction
  p.ctx.restart();
  p.ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(!got_ec);
}

BOOST_AUTO_TEST_CASE(close_with_pending_ops_aborts_each_once)
{
  connected_pair p;
  char buf[8];
  int reads = 0, waits = 0;
  p.client.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    ++reads;
    BOOST_TEST((ec == blitz::error::operation_aborted));
  });
  p.client.async_wait(tcp::socket::wait_read, [&](const error_code& ec) {
    ++waits;
    BOOST_TEST((ec == blitz::error::operation_aborted));
  });
  blitz::post(p.ctx, [&] { p.client.close(); });
  p.ctx.run();
  BOOST_TEST(reads == 1);
  BOOST_TEST(waits == 1);
  BOOST_TEST(!p.client.is_open());
}

BOOST_AUTO_TEST_CASE(destroying_socket_aborts_pending_ops)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback_any());
  error_code got;
  {
    tcp::socket server(ctx);
    acceptor.async_accept(server, [&](const error_code& ec) { got = ec; });
    acceptor.close();
  }
  ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(destroying_context_with_pending_io_destroys_handlers)
{
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  bool invoked = false;
  {
    connected_pair p;
    auto buf = std::make_shared<std::array<char, 16>>();
    p.client.async_read_some(blitz::buffer(*buf), [buf, token, &invoked](const error_code&, std::size_t) {
      invoked = true;
    });
    p.acceptor.async_accept([token, &invoked](const error_code&, tcp::socket) { invoked = true; });
    token.reset();
    p.ctx.run_for(5ms);
    BOOST_TEST(!watch.expired());
  }
  BOOST_TEST(!invoked);
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(ops_on_closed_socket_fail_with_bad_descriptor)
{
  blitz::io_context ctx;
  tcp::socket s(ctx);
  char buf[4];
  error_code got;
  s.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) { got = ec; });
  ctx.run();
  BOOST_TEST((got == blitz::error::bad_descriptor));
  error_code ec;
  s.read_some(blitz::buffer(buf), ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  tcp::socket::keep_alive ka;
  s.get_option(ka, ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  BOOST_CHECK_THROW(s.remote_endpoint(), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(accept_into_open_socket_is_already_open)
{
  connected_pair p;
  error_code got;
  p.acceptor.async_accept(p.client, [&](const error_code& ec) { got = ec; });
  p.ctx.run();
  BOOST_TEST((got == blitz::error::already_open));
}

BOOST_AUTO_TEST_CASE(socket_options_round_trip)
{
  connected_pair p;
  p.client.set_option(tcp::no_delay(true));
  tcp::no_delay nd;
  p.client.get_option(nd);
  BOOST_TEST(nd.value());
  p.client.set_option(tcp::socket::keep_alive(true));
  tcp::socket::keep_alive ka;
  p.client.get_option(ka);
  BOOST_TEST(ka.value());
  tcp::socket::reuse_address ra;
  p.acceptor.get_option(ra);
  BOOST_TEST(ra.value());
  p.client.set_option(tcp::socket::linger(true, 7));
  tcp::socket::linger l;
  p.client.get_option(l);
  BOOST_TEST(l.enabled());
  BOOST_TEST(l.timeout() == 7);
  p.client.set_option(tcp::socket::receive_buffer_size(65536));
  tcp::socket::receive_buffer_size rb;
  p.client.get_option(rb);
  BOOST_TEST(rb.value() >= 65536); // Linux doubles the request for bookkeeping
  tcp::socket::send_buffer_size sb;
  p.client.get_option(sb);
  BOOST_TEST(sb.value() > 0);
  error_code ec;
  p.client.set_option(tcp::socket::receive_buffer_size(-1), ec);
  BOOST_TEST(!ec); // the kernel clamps it; what matters is a clear result either way
}

BOOST_AUTO_TEST_CASE(half_close_delivers_eof_while_other_direction_works)
{
  connected_pair p;
  p.client.shutdown(tcp::socket::shutdown_send);
  char buf[8];
  error_code server_ec;
  std::size_t client_got = 0;
  p.server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    server_ec = ec;
    // The peer only closed its sending side: replying still works.
    blitz::async_write(p.server, blitz::buffer("late", 4), [](const error_code& ec, std::size_t) {
      BOOST_TEST(!ec);
    });
  });
  char cbuf[8];
  blitz::async_read(p.client, blitz::buffer(cbuf, 4), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    client_got = n;
  });
  p.ctx.run();
  BOOST_TEST((server_ec == blitz::error::eof));
  BOOST_TEST(client_got == 4u);
  BOOST_TEST(std::string(cbuf, 4) == "late");
}

BOOST_AUTO_TEST_CASE(write_to_closed_peer_gives_error_not_sigpipe)
{
  connected_pair p;
  p.server.close();
  std::vector<char> data(1 << 20, 'z');
  error_code got;
  std::function<void()> pump = [&] {
    p.client.async_write_some(blitz::buffer(data), [&](const error_code& ec, std::size_t) {
      if (ec)
        got = ec;
      else
        pump();
    });
  };
  pump();
  p.ctx.run();
  // Reaching this line means no SIGPIPE killed the process.
  BOOST_TEST((got == blitz::error::broken_pipe || got == blitz::error::connection_reset));
}

BOOST_AUTO_TEST_CASE(async_wait_for_readiness)
{
  connected_pair p;
  bool writable = false, readable = false;
  p.client.async_wait(tcp::socket::wait_write, [&](const error_code& ec) { writable = !ec; });
  p.server.async_wait(tcp::socket::wait_read, [&](const error_code& ec) {
    readable = !ec;
    BOOST_TEST(p.server.available() == 3u);
  });
  blitz::post(p.ctx, [&] { blitz::write(p.client, blitz::buffer("abc", 3)); });
  p.ctx.run();
  BOOST_TEST(writable);
  BOOST_TEST(readable);
}

BOOST_AUTO_TEST_CASE(ipv6_loopback)
{
  blitz::io_context ctx;
  error_code ec;
  tcp::acceptor acceptor(ctx);
  acceptor.open(tcp::v6(), ec);
  if (!ec)
    acceptor.bind(tcp::endpoint(blitz::ip::address_v6::loopback(), 0), ec);
  if (ec)
  {
    BOOST_TEST_MESSAGE("no IPv6 loopback here: " << ec.message());
    return;
  }
  acceptor.listen();
  tcp::socket client(ctx);
  bool ok = false;
  acceptor.async_accept([&](const error_code& e, tcp::socket s) {
    BOOST_REQUIRE(!e);
    ok = s.remote_endpoint().address().is_v6();
  });
  client.async_connect(acceptor.local_endpoint(), [](const error_code& e) { BOOST_TEST(!e); });
  ctx.run();
  BOOST_TEST(ok);
}

BOOST_AUTO_TEST_CASE(release_hands_back_the_descriptor)
{
  connected_pair p;
  int fd = p.client.native_handle();
  BOOST_TEST(p.client.release() == fd);
  BOOST_TEST(!p.client.is_open());
  BOOST_TEST(::write(fd, "q", 1) == 1);
  char c = 0;
  BOOST_TEST(p.server.read_some(blitz::buffer(&c, 1)) == 1u);
  BOOST_TEST(c == 'q');
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(user_non_blocking_mode_reports_would_block)
{
  connected_pair p;
  p.server.non_blocking(true);
  BOOST_TEST(p.server.non_blocking());
  char buf[4];
  error_code ec;
  p.server.read_some(blitz::buffer(buf), ec);
  BOOST_TEST((ec == blitz::error::would_block));
}

BOOST_AUTO_TEST_CASE(io_handler_exception_propagates_out_of_run)
{
  connected_pair p;
  blitz::write(p.server, blitz::buffer("a", 1));
  char c;
  p.client.async_read_some(blitz::buffer(&c, 1), [](const error_code&, std::size_t) {
    throw std::logic_error("from handler");
  });
  BOOST_CHECK_THROW(p.ctx.run(), std::logic_error);
  BOOST_TEST(p.ctx.run() == 0u);
}

BOOST_AUTO_TEST_CASE(thousand_concurrent_connections_verified)
{
  BOOST_TEST(blitz_test::run_echo_connections(1000, 4000, 1) == 1000);
}
