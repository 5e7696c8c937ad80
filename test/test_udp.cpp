#define BOOST_TEST_MODULE udp
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "../example/udp/udp_echo.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace std::chrono_literals;
using blitz::ip::udp;
using boost::system::error_code;

namespace {

udp::endpoint loopback_any() { return udp::endpoint(blitz::ip::address_v4::loopback(), 0); }

// Two sockets bound to ephemeral loopback ports.
struct udp_pair
{
  blitz::io_context ctx;
  udp::socket a{ctx, loopback_any()};
  udp::socket b{ctx, loopback_any()};
};

// A loopback port nothing listens on (bound, then closed).
udp::endpoint dead_endpoint(blitz::io_context& ctx)
{
  udp::socket s(ctx, loopback_any());
  return s.local_endpoint();
}

bool have_ipv6(blitz::io_context& ctx)
{
  udp::socket s(ctx);
  error_code ec;
  s.open(udp::v6(), ec);
  if (!ec)
    s.bind(udp::endpoint(blitz::ip::address_v6::loopback(), 0), ec);
  return !ec;
}

} // namespace

BOOST_AUTO_TEST_CASE(sync_send_to_receive_from_all_overloads)
{
  udp_pair p;
  const std::string msg = "datagram";
  BOOST_TEST(p.a.send_to(blitz::buffer(msg), p.b.local_endpoint()) == msg.size());
  std::array<char, 64> buf{};
  udp::endpoint from;
  BOOST_TEST(p.b.receive_from(blitz::buffer(buf), from) == msg.size());
  BOOST_TEST(std::string(buf.data(), msg.size()) == msg);
  BOOST_TEST((from == p.a.local_endpoint()));

  BOOST_TEST(p.a.send_to(blitz::buffer(msg), p.b.local_endpoint(), 0) == msg.size());
  BOOST_TEST(p.b.receive_from(blitz::buffer(buf), from, 0) == msg.size());

  error_code ec;
  BOOST_TEST(p.a.send_to(blitz::buffer(msg), p.b.local_endpoint(), 0, ec) == msg.size());
  BOOST_TEST(!ec);
  // Peek leaves the datagram queued for the next receive.
  BOOST_TEST(p.b.receive_from(blitz::buffer(buf), from, udp::socket::message_peek, ec) ==
             msg.size());
  BOOST_TEST(!ec);
  BOOST_TEST(p.b.available() == msg.size());
  BOOST_TEST(p.b.receive_from(blitz::buffer(buf), from, 0, ec) == msg.size());
  BOOST_TEST(!ec);
  BOOST_TEST(p.b.available() == 0u);
}

BOOST_AUTO_TEST_CASE(async_send_to_receive_from_with_scatter_gather)
{
  udp_pair p;
  std::string head = "abc", tail = "defgh";
  std::array<blitz::const_buffer, 2> out{{blitz::buffer(head), blitz::buffer(tail)}};
  char x[2], y[16];
  std::array<blitz::mutable_buffer, 2> in{{blitz::buffer(x), blitz::buffer(y)}};
  udp::endpoint from;
  std::size_t sent = 0, got = 0;
  int calls = 0;
  p.b.async_receive_from(in, from, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    got = n;
    ++calls;
  });
  {
    // The destination is copied into the operation: this one dies before the send runs.
    udp::endpoint dest = p.b.local_endpoint();
    p.a.async_send_to(out, dest, [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      sent = n;
      ++calls;
    });
  }
  BOOST_TEST(calls == 0);
  p.ctx.run();
  BOOST_TEST(calls == 2);
  BOOST_TEST(sent == 8u);
  BOOST_TEST(got == 8u);
  BOOST_TEST(std::string(x, 2) + std::string(y, 6) == "abcdefgh");
  BOOST_TEST((from == p.a.local_endpoint()));
}

BOOST_AUTO_TEST_CASE(async_flags_overloads)
{
  udp_pair p;
  char buf[8] = {};
  udp::endpoint from;
  std::size_t peeked = 0, sent = 0;
  p.a.async_send_to(blitz::buffer("pk", 2), p.b.local_endpoint(), 0,
                    [&](const error_code& ec, std::size_t n) {
                      BOOST_TEST(!ec);
                      sent = n;
                    });
  p.b.async_receive_from(blitz::buffer(buf), from, udp::socket::message_peek,
                         [&](const error_code& ec, std::size_t n) {
                           BOOST_TEST(!ec);
                           peeked = n;
                         });
  p.ctx.run();
  BOOST_TEST(sent == 2u);
  BOOST_TEST(peeked == 2u);
  BOOST_TEST(p.b.available() == 2u); // still queued after the peek
}

BOOST_AUTO_TEST_CASE(connected_send_and_receive_sync_and_async)
{
  udp_pair p;
  p.a.connect(p.b.local_endpoint());
  p.b.connect(p.a.local_endpoint());
  BOOST_TEST(p.a.send(blitz::buffer("one", 3)) == 3u);
  char buf[16];
  BOOST_TEST(p.b.receive(blitz::buffer(buf)) == 3u);
  error_code ec;
  BOOST_TEST(p.a.send(blitz::buffer("two", 3), 0, ec) == 3u);
  BOOST_TEST(!ec);
  BOOST_TEST(p.b.receive(blitz::buffer(buf), 0, ec) == 3u);
  BOOST_TEST(std::string(buf, 3) == "two");

  std::string got;
  int calls = 0;
  p.b.async_receive(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    got.assign(buf, n);
    ++calls;
    p.b.async_send(blitz::buffer("back", 4), 0, [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      BOOST_TEST(n == 4u);
      ++calls;
    });
  });
  char abuf[16];
  p.a.async_receive(blitz::buffer(abuf), 0, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(std::string(abuf, n) == "back");
    ++calls;
  });
  p.a.async_send(blitz::buffer("three", 5), [&](const error_code& ec, std::size_t) {
    BOOST_TEST(!ec);
    ++calls;
  });
  p.ctx.run();
  BOOST_TEST(calls == 4);
  BOOST_TEST(got == "three");
}

BOOST_AUTO_TEST_CASE(empty_datagram_is_delivered_not_eof)
{
  udp_pair p;
  char buf[8];
  udp::endpoint from;
  error_code rec = blitz::error::fault;
  std::size_t got = 99;
  p.b.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t n) {
    rec = ec;
    got = n;
  });
  p.a.async_send_to(blitz::buffer(buf, 0), p.b.local_endpoint(),
                    [&](const error_code& ec, std::size_t n) {
                      BOOST_TEST(!ec);
                      BOOST_TEST(n == 0u);
                    });
  p.ctx.run();
  BOOST_TEST(!rec);
  BOOST_TEST(got == 0u);
  BOOST_TEST((from == p.a.local_endpoint()));
}

BOOST_AUTO_TEST_CASE(oversized_datagram_is_truncated_to_the_buffer)
{
  udp_pair p;
  std::vector<char> big(1000, 'q');
  p.a.send_to(blitz::buffer(big), p.b.local_endpoint());
  char small[10];
  udp::endpoint from;
  std::size_t n = 0;
  p.b.async_receive_from(blitz::buffer(small), from, [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  p.ctx.run();
  BOOST_TEST(n == sizeof(small));
  BOOST_TEST(p.b.available() == 0u); // the rest of the datagram is gone
}

BOOST_AUTO_TEST_CASE(ping_pong_keeps_order)
{
  udp_pair p;
  const int rounds = 200;
  int received = 0;
  std::array<char, 16> rbuf{}, ebuf{};
  udp::endpoint from, echo_from;
  std::function<void()> echo = [&] {
    p.b.async_receive_from(blitz::buffer(ebuf), echo_from, [&](const error_code& ec, std::size_t n) {
      if (ec == blitz::error::operation_aborted)
        return; // the pinger is done
      BOOST_REQUIRE(!ec);
      p.b.send_to(blitz::buffer(ebuf.data(), n), echo_from);
      echo();
    });
  };
  std::function<void()> ping = [&] {
    std::string s = std::to_string(received);
    p.a.send_to(blitz::buffer(s), p.b.local_endpoint());
    p.a.async_receive_from(blitz::buffer(rbuf), from, [&, s](const error_code& ec, std::size_t n) {
      BOOST_REQUIRE(!ec);
      BOOST_TEST(std::string(rbuf.data(), n) == s);
      if (++received < rounds)
        ping();
      else
        p.b.cancel();
    });
  };
  echo();
  ping();
  p.ctx.run();
  BOOST_TEST(received == rounds);
}

BOOST_AUTO_TEST_CASE(bind_in_use_is_address_in_use)
{
  blitz::io_context ctx;
  udp::socket a(ctx, loopback_any());
  udp::socket b(ctx, udp::v4());
  error_code ec;
  b.bind(a.local_endpoint(), ec);
  BOOST_TEST((ec == blitz::error::address_in_use));
  BOOST_CHECK_THROW(udp::socket(ctx, a.local_endpoint()), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(connected_socket_reports_refused_port)
{
  blitz::io_context ctx;
  udp::endpoint dead = dead_endpoint(ctx);
  udp::socket s(ctx, loopback_any());
  s.connect(dead);
  s.send(blitz::buffer("x", 1));
  // The ICMP port-unreachable becomes a pending socket error: wait_error sees it, the
  // next receive reports it.
  bool waited = false;
  s.async_wait(udp::socket::wait_error, [&](const error_code& ec) {
    BOOST_TEST(!ec);
    waited = true;
  });
  ctx.run();
  BOOST_TEST(waited);
  char buf[4];
  error_code got;
  ctx.restart();
  s.async_receive(blitz::buffer(buf), [&](const error_code& ec, std::size_t) { got = ec; });
  ctx.run();
  BOOST_TEST((got == blitz::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(cancel_pending_receive_aborts_once_and_leaves_sender_untouched)
{
  udp_pair p;
  char buf[8];
  const udp::endpoint marker(blitz::ip::address_v4::loopback(), 7);
  udp::endpoint from = marker;
  int calls = 0;
  error_code got;
  p.b.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t) {
    ++calls;
    got = ec;
  });
  blitz::steady_timer t(p.ctx, 10ms);
  t.async_wait([&](const error_code&) { p.b.cancel(); });
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  BOOST_TEST((from == marker));

  // Still usable afterwards.
  p.ctx.restart();
  p.a.send_to(blitz::buffer("ok", 2), p.b.local_endpoint());
  std::size_t n = 0;
  p.b.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  p.ctx.run();
  BOOST_TEST(n == 2u);
}

BOOST_AUTO_TEST_CASE(close_aborts_pending_and_closed_socket_is_bad_descriptor)
{
  udp_pair p;
  char buf[8];
  udp::endpoint from;
  int aborted = 0;
  p.b.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t) {
    aborted += ec == blitz::error::operation_aborted;
  });
  p.b.async_wait(udp::socket::wait_read, [&](const error_code& ec) {
    aborted += ec == blitz::error::operation_aborted;
  });
  blitz::post(p.ctx, [&] { p.b.close(); });
  p.ctx.run();
  BOOST_TEST(aborted == 2);

  p.ctx.restart();
  int bad = 0;
  auto count_bad = [&](const error_code& ec, std::size_t) { bad += ec == blitz::error::bad_descriptor; };
  p.b.async_receive_from(blitz::buffer(buf), from, count_bad);
  p.b.async_send_to(blitz::buffer(buf), p.a.local_endpoint(), count_bad);
  p.b.async_receive(blitz::buffer(buf), count_bad);
  p.b.async_send(blitz::buffer(buf), count_bad);
  p.b.async_wait(udp::socket::wait_write, [&](const error_code& ec) { bad += ec == blitz::error::bad_descriptor; });
  p.ctx.run();
  BOOST_TEST(bad == 5);

  error_code ec;
  p.b.send_to(blitz::buffer(buf), p.a.local_endpoint(), 0, ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.b.receive_from(blitz::buffer(buf), from, 0, ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.b.available(ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  udp::socket::bytes_readable cmd;
  p.b.io_control(cmd, ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.b.wait(udp::socket::wait_read, ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  BOOST_CHECK_THROW(p.b.send_to(blitz::buffer(buf), p.a.local_endpoint()), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(wait_read_write_and_io_control)
{
  udp_pair p;
  p.b.wait(udp::socket::wait_write);
  bool writable = false, readable = false;
  p.a.async_wait(udp::socket::wait_write, [&](const error_code& ec) { writable = !ec; });
  p.b.async_wait(udp::socket::wait_read, [&](const error_code& ec) {
    readable = !ec;
    udp::socket::bytes_readable cmd;
    p.b.io_control(cmd);
    BOOST_TEST(cmd.get() == 5u); // the size of the next datagram
  });
  blitz::post(p.ctx, [&] { p.a.send_to(blitz::buffer("12345", 5), p.b.local_endpoint()); });
  p.ctx.run();
  BOOST_TEST(writable);
  BOOST_TEST(readable);
  p.b.wait(udp::socket::wait_read); // still queued: returns at once
}

BOOST_AUTO_TEST_CASE(non_blocking_modes)
{
  udp_pair p;
  char buf[4];
  udp::endpoint from;
  p.b.non_blocking(true);
  error_code ec;
  p.b.receive_from(blitz::buffer(buf), from, 0, ec);
  BOOST_TEST((ec == blitz::error::would_block));
  // A blocking descriptor under a non-blocking socket is refused, as in Asio.
  p.b.native_non_blocking(false, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
  p.b.non_blocking(false);

  int fd = p.a.native_handle();
  BOOST_TEST(p.a.native_non_blocking());
  p.a.native_non_blocking(false);
  BOOST_TEST(!p.a.native_non_blocking());
  BOOST_TEST((::fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
  // The next asynchronous operation makes the descriptor non-blocking again.
  p.a.async_receive_from(blitz::buffer(buf), from, [](const error_code&, std::size_t) {});
  BOOST_TEST((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  BOOST_TEST(p.a.native_non_blocking());
  p.a.close();
  p.ctx.run();

  // FIONBIO through io_control sets the user mode, never the descriptor's.
  struct fionbio
  {
    int value = 1;
    int name() const { return FIONBIO; }
    int* data() { return &value; }
  } cmd;
  p.b.io_control(cmd);
  BOOST_TEST(p.b.non_blocking());
  BOOST_TEST((::fcntl(p.b.native_handle(), F_GETFL) & O_NONBLOCK) != 0);
}

BOOST_AUTO_TEST_CASE(socket_options_v4)
{
  blitz::io_context ctx;
  udp::socket s(ctx, loopback_any());
  s.set_option(udp::socket::broadcast(true));
  udp::socket::broadcast b;
  s.get_option(b);
  BOOST_TEST(b.value());

  s.set_option(blitz::ip::unicast::hops(17));
  blitz::ip::unicast::hops uh;
  s.get_option(uh);
  BOOST_TEST(uh.value() == 17);

  s.set_option(blitz::ip::multicast::hops(3));
  blitz::ip::multicast::hops mh;
  s.get_option(mh);
  BOOST_TEST(mh.value() == 3);
  BOOST_CHECK_THROW(blitz::ip::multicast::hops(256), std::out_of_range);
  BOOST_CHECK_THROW(blitz::ip::multicast::hops(-1), std::out_of_range);

  s.set_option(blitz::ip::multicast::enable_loopback(false));
  blitz::ip::multicast::enable_loopback lo;
  s.get_option(lo);
  BOOST_TEST(!lo.value());
  s.set_option(blitz::ip::multicast::enable_loopback(true));
  s.get_option(lo);
  BOOST_TEST(lo.value());

  s.set_option(blitz::ip::multicast::outbound_interface(blitz::ip::address_v4::loopback()));

  // Leaving a group never joined is the kernel's error, passed through.
  error_code ec;
  s.set_option(blitz::ip::multicast::leave_group(blitz::ip::make_address("239.255.0.9")), ec);
  BOOST_TEST(!!ec);
}

// The buffer sizes read back are the sizes set, as in Asio, although Linux doubles them
// (and reports the doubled value to getsockopt).
BOOST_AUTO_TEST_CASE(buffer_sizes_read_back_as_set)
{
  blitz::io_context ctx;
  udp::socket u(ctx, loopback_any());
  u.set_option(udp::socket::receive_buffer_size(65536));
  udp::socket::receive_buffer_size rb;
  u.get_option(rb);
  BOOST_TEST(rb.value() == 65536);

  blitz::ip::tcp::socket t(ctx, blitz::ip::tcp::v4());
  t.set_option(blitz::ip::tcp::socket::send_buffer_size(16384));
  t.set_option(blitz::ip::tcp::socket::receive_buffer_size(8192));
  blitz::ip::tcp::socket::send_buffer_size sb;
  t.get_option(sb);
  BOOST_TEST(sb.value() == 16384);
  t.get_option(rb);
  BOOST_TEST(rb.value() == 8192);
}

BOOST_AUTO_TEST_CASE(socket_options_follow_the_ipv6_family)
{
  blitz::io_context ctx;
  if (!have_ipv6(ctx))
  {
    BOOST_TEST_MESSAGE("no IPv6 here; skipped");
    return;
  }
  udp::socket s(ctx, udp::v6());
  s.set_option(blitz::ip::v6_only(true));
  blitz::ip::v6_only v6;
  s.get_option(v6);
  BOOST_TEST(v6.value());

  s.set_option(blitz::ip::multicast::hops(7));
  // The IPv6 level was used: the raw option says so.
  int raw = 0;
  socklen_t len = sizeof(raw);
  BOOST_TEST(::getsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &raw, &len) == 0);
  BOOST_TEST(raw == 7);
  blitz::ip::multicast::hops mh;
  s.get_option(mh);
  BOOST_TEST(mh.value() == 7);

  s.set_option(blitz::ip::unicast::hops(9));
  BOOST_TEST(::getsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &raw, &len) == 0);
  BOOST_TEST(raw == 9);

  s.set_option(blitz::ip::multicast::enable_loopback(false));
  blitz::ip::multicast::enable_loopback lo;
  s.get_option(lo);
  BOOST_TEST(!lo.value());

  // The protocol travels with a moved socket.
  udp::socket moved(std::move(s));
  moved.set_option(blitz::ip::multicast::hops(11));
  BOOST_TEST(::getsockopt(moved.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &raw, &len) == 0);
  BOOST_TEST(raw == 11);
}

BOOST_AUTO_TEST_CASE(multicast_group_on_loopback)
{
  blitz::io_context ctx;
  const auto group = blitz::ip::make_address_v4("239.255.77.77");
  udp::socket rx(ctx, udp::v4());
  rx.set_option(udp::socket::reuse_address(true));
  rx.bind(udp::endpoint(blitz::ip::address_v4::any(), 0));
  error_code ec;
  rx.set_option(blitz::ip::multicast::join_group(group, blitz::ip::address_v4::loopback()), ec);
  if (ec)
  {
    BOOST_TEST_MESSAGE("cannot join a multicast group on loopback: " << ec.message());
    return;
  }
  udp::socket tx(ctx, udp::v4());
  tx.set_option(blitz::ip::multicast::outbound_interface(blitz::ip::address_v4::loopback()));
  tx.set_option(blitz::ip::multicast::enable_loopback(true));
  tx.set_option(blitz::ip::multicast::hops(1));
  tx.send_to(blitz::buffer("mc", 2), udp::endpoint(group, rx.local_endpoint().port()), 0, ec);
  if (ec)
  {
    BOOST_TEST_MESSAGE("no multicast route on loopback: " << ec.message());
    return;
  }
  char buf[4];
  udp::endpoint from;
  std::size_t n = 0;
  rx.async_receive_from(blitz::buffer(buf), from, [&](const error_code& e, std::size_t k) {
    BOOST_TEST(!e);
    n = k;
  });
  blitz::steady_timer guard(ctx, 2s);
  guard.async_wait([&](const error_code& e) {
    if (!e)
      rx.cancel();
  });
  ctx.run_for(3s);
  if (n == 0)
    BOOST_TEST_MESSAGE("multicast not looped back on this host; delivery unchecked");
  else
    BOOST_TEST(std::string(buf, 2) == "mc");
  rx.set_option(blitz::ip::multicast::leave_group(group, blitz::ip::address_v4::loopback()));
}

BOOST_AUTO_TEST_CASE(ipv6_loopback_exchange)
{
  blitz::io_context ctx;
  if (!have_ipv6(ctx))
  {
    BOOST_TEST_MESSAGE("no IPv6 here; skipped");
    return;
  }
  udp::socket a(ctx, udp::endpoint(blitz::ip::address_v6::loopback(), 0));
  udp::socket b(ctx, udp::endpoint(blitz::ip::address_v6::loopback(), 0));
  char buf[8];
  udp::endpoint from;
  std::size_t n = 0;
  b.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  a.async_send_to(blitz::buffer("six", 3), b.local_endpoint(), [](const error_code& ec, std::size_t) {
    BOOST_TEST(!ec);
  });
  ctx.run();
  BOOST_TEST(n == 3u);
  BOOST_TEST(from.address().is_v6());
  BOOST_TEST((from == a.local_endpoint()));
}

BOOST_AUTO_TEST_CASE(executor_constructors_and_release)
{
  blitz::io_context ctx;
  udp::socket s(ctx.get_executor(), loopback_any());
  BOOST_TEST(s.is_open());
  udp::socket t(ctx.get_executor(), udp::v4());
  BOOST_TEST(t.is_open());
  int fd = s.native_handle();
  BOOST_TEST(s.release() == fd);
  BOOST_TEST(!s.is_open());
  udp::socket u(ctx.get_executor(), udp::v4(), fd); // adopt it again
  BOOST_TEST(u.native_handle() == fd);
  error_code ec;
  s.release(ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
}

BOOST_AUTO_TEST_CASE(destroying_context_destroys_pending_receive_handler)
{
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  bool invoked = false;
  {
    blitz::io_context ctx;
    udp::socket s(ctx, loopback_any());
    auto buf = std::make_shared<std::array<char, 8>>();
    auto from = std::make_shared<udp::endpoint>();
    s.async_receive_from(blitz::buffer(*buf), *from,
                         [buf, from, token, &invoked](const error_code&, std::size_t) { invoked = true; });
    token.reset();
    ctx.run_for(5ms);
    BOOST_TEST(!watch.expired());
  }
  BOOST_TEST(!invoked);
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(udp_echo_example_self_test)
{
  BOOST_TEST(udp_echo::self_test(50) == 0);
  // The staged program too, when `b2 stage` has built it (tools/test does, and runs the
  // suites from the repository root).
  struct stat st;
  if (::stat("stage/bin/udp_echo_server", &st) == 0)
    BOOST_TEST(std::system("stage/bin/udp_echo_server --self-test >/dev/null") == 0);
}
