#define BOOST_TEST_MODULE connect
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <functional>
#include <string>
#include <thread>

#include <array>
#include <chrono>
#include <fcntl.h>
#include <list>
#include <poll.h>
#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using blitz::ip::tcp;
using boost::system::error_code;

namespace {

tcp::endpoint loopback_any() { return tcp::endpoint(blitz::ip::address_v4::loopback(), 0); }

// A loopback port nobody listens on.
tcp::endpoint dead_endpoint(blitz::io_context& ctx)
{
  tcp::acceptor a(ctx, loopback_any());
  return a.local_endpoint();
}

// A listener whose accept queue is full, so a further connect to it stays pending (the
// kernel drops the SYN and would retry for a second or more): the way to hold a connect
// attempt in flight long enough to cancel it.
struct stalled_listener
{
  blitz::io_context ctx;
  tcp::acceptor acceptor{ctx};
  std::vector<int> fillers;
  bool stalled = false;

  stalled_listener()
  {
    acceptor.open(tcp::v4());
    acceptor.bind(loopback_any());
    acceptor.listen(0);
    for (int i = 0; i < 16 && !stalled; ++i)
    {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      fillers.push_back(fd);
      tcp::endpoint ep = acceptor.local_endpoint();
      ::connect(fd, ep.data(), static_cast<socklen_t>(ep.size()));
      ::pollfd p{fd, POLLOUT, 0};
      stalled = ::poll(&p, 1, 100) == 0;
    }
  }
  ~stalled_listener()
  {
    for (int fd : fillers)
      ::close(fd);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(sync_range_skips_refused_endpoints)
{
  blitz::io_context ctx;
  tcp::acceptor live(ctx, loopback_any());
  std::vector<tcp::endpoint> eps{dead_endpoint(ctx), dead_endpoint(ctx), live.local_endpoint()};
  tcp::socket s(ctx);
  tcp::endpoint got = blitz::connect(s, eps);
  BOOST_TEST((got == live.local_endpoint()));
  BOOST_TEST((s.remote_endpoint() == live.local_endpoint()));

  tcp::socket s2(ctx);
  error_code ec;
  got = blitz::connect(s2, eps, ec);
  BOOST_TEST(!ec);
  BOOST_TEST((got == live.local_endpoint()));
}

BOOST_AUTO_TEST_CASE(sync_all_refused_reports_the_last_error)
{
  blitz::io_context ctx;
  std::vector<tcp::endpoint> eps{dead_endpoint(ctx), dead_endpoint(ctx)};
  tcp::socket s(ctx);
  error_code ec;
  tcp::endpoint got = blitz::connect(s, eps, ec);
  BOOST_TEST((ec == blitz::error::connection_refused));
  BOOST_TEST((got == tcp::endpoint()));
  try
  {
    blitz::connect(s, eps);
    BOOST_FAIL("connect over refusing endpoints succeeded");
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == blitz::error::connection_refused));
  }
  auto it = blitz::connect(s, eps.begin(), eps.end(), ec);
  BOOST_TEST((it == eps.end()));
  BOOST_TEST((ec == blitz::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(empty_range_is_not_found_sync_and_async)
{
  blitz::io_context ctx;
  std::vector<tcp::endpoint> none;
  tcp::socket s(ctx);
  error_code ec;
  blitz::connect(s, none, ec);
  BOOST_TEST((ec == blitz::error::not_found));
  BOOST_TEST((blitz::connect(s, none.begin(), none.end(), ec) == none.end()));
  BOOST_TEST((ec == blitz::error::not_found));
  BOOST_CHECK_THROW(blitz::connect(s, none), boost::system::system_error);

  int calls = 0;
  blitz::async_connect(s, none, [&](const error_code& ec, const tcp::endpoint& ep) {
    BOOST_TEST((ec == blitz::error::not_found));
    BOOST_TEST((ep == tcp::endpoint()));
    ++calls;
  });
  blitz::async_connect(s, none.begin(), none.end(),
                       [&](const error_code& ec, std::vector<tcp::endpoint>::iterator it) {
                         BOOST_TEST((ec == blitz::error::not_found));
                         BOOST_TEST((it == none.end()));
                         ++calls;
                       });
  BOOST_TEST(calls == 0); // never inside the initiating call
  ctx.run();
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(iterator_forms_return_the_iterator_that_connected)
{
  blitz::io_context ctx;
  tcp::acceptor live(ctx, loopback_any());
  std::list<tcp::endpoint> eps{dead_endpoint(ctx), live.local_endpoint(), dead_endpoint(ctx)};
  tcp::socket s(ctx);
  auto it = blitz::connect(s, eps.begin(), eps.end());
  BOOST_TEST((it == std::next(eps.begin())));

  tcp::socket s2(ctx);
  std::list<tcp::endpoint>::iterator got = eps.end();
  blitz::async_connect(s2, eps.begin(), eps.end(),
                       [&](const error_code& ec, std::list<tcp::endpoint>::iterator i) {
                         BOOST_TEST(!ec);
                         got = i;
                       });
  ctx.run();
  BOOST_TEST((got == std::next(eps.begin())));
  BOOST_TEST((s2.remote_endpoint() == live.local_endpoint()));

  // All refused: end, with the last error.
  std::array<tcp::endpoint, 2> dead{{dead_endpoint(ctx), dead_endpoint(ctx)}};
  tcp::socket s3(ctx);
  error_code aec;
  const tcp::endpoint* ait = nullptr;
  ctx.restart();
  blitz::async_connect(s3, dead.begin(), dead.end(), [&](const error_code& ec, const tcp::endpoint* i) {
    aec = ec;
    ait = i;
  });
  ctx.run();
  BOOST_TEST((aec == blitz::error::connection_refused));
  BOOST_TEST((ait == dead.end()));
}

BOOST_AUTO_TEST_CASE(async_range_connects_to_the_first_live_endpoint)
{
  blitz::io_context ctx;
  tcp::acceptor live(ctx, loopback_any());
  // A std::array moves its elements with it: the operation must not keep iterators into
  // the copy it holds.
  std::array<tcp::endpoint, 3> eps{{dead_endpoint(ctx), dead_endpoint(ctx), live.local_endpoint()}};
  tcp::socket s(ctx);
  int calls = 0;
  tcp::endpoint got;
  blitz::async_connect(s, eps, [&](const error_code& ec, const tcp::endpoint& ep) {
    BOOST_TEST(!ec);
    got = ep;
    ++calls;
  });
  bool accepted = false;
  live.async_accept([&](const error_code& ec, tcp::socket) { accepted = !ec; });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(accepted);
  BOOST_TEST((got == live.local_endpoint()));

  // Every endpoint refusing: the last error and a default endpoint.
  std::vector<tcp::endpoint> dead{dead_endpoint(ctx), dead_endpoint(ctx)};
  tcp::socket s2(ctx);
  error_code last;
  ctx.restart();
  blitz::async_connect(s2, dead, [&](const error_code& ec, const tcp::endpoint& ep) {
    last = ec;
    BOOST_TEST((ep == tcp::endpoint()));
  });
  ctx.run();
  BOOST_TEST((last == blitz::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(connect_conditions_skip_and_see_the_previous_error)
{
  blitz::io_context ctx;
  tcp::acceptor live(ctx, loopback_any());
  const tcp::endpoint dead1 = dead_endpoint(ctx), dead2 = dead_endpoint(ctx);
  std::vector<tcp::endpoint> eps{dead1, dead2, live.local_endpoint()};
  std::vector<error_code> seen;
  auto skip_dead2 = [&](const error_code& ec, const tcp::endpoint& next) {
    seen.push_back(ec);
    return next != dead2;
  };
  tcp::socket s(ctx);
  tcp::endpoint got = blitz::connect(s, eps, skip_dead2);
  BOOST_TEST((got == live.local_endpoint()));
  // Asked about dead1 (no error yet), then dead2 and live after dead1 refused.
  BOOST_REQUIRE(seen.size() == 3u);
  BOOST_TEST(!seen[0]);
  BOOST_TEST((seen[1] == blitz::error::connection_refused));
  BOOST_TEST((seen[2] == blitz::error::connection_refused));

  // Rejecting everything is not_found, sync and async.
  auto none = [](const error_code&, const tcp::endpoint&) { return false; };
  tcp::socket s2(ctx);
  error_code ec;
  blitz::connect(s2, eps, none, ec);
  BOOST_TEST((ec == blitz::error::not_found));
  BOOST_TEST((blitz::connect(s2, eps.begin(), eps.end(), none, ec) == eps.end()));
  BOOST_TEST((ec == blitz::error::not_found));
  error_code aec;
  blitz::async_connect(s2, eps, none, [&](const error_code& e, const tcp::endpoint&) { aec = e; });
  seen.clear();
  tcp::socket s3(ctx);
  std::vector<tcp::endpoint>::iterator ait;
  blitz::async_connect(s3, eps.begin(), eps.end(), skip_dead2,
                       [&](const error_code& e, std::vector<tcp::endpoint>::iterator i) {
                         BOOST_TEST(!e);
                         ait = i;
                       });
  ctx.run();
  BOOST_TEST((aec == blitz::error::not_found));
  BOOST_TEST((ait == eps.begin() + 2));
  BOOST_TEST(seen.size() == 3u);

  // A legacy condition returns the iterator to try.
  using iter = std::vector<tcp::endpoint>::iterator;
  auto legacy = [&](const error_code&, iter next) { return next == eps.begin() ? eps.begin() + 2 : next; };
  tcp::socket s4(ctx);
  BOOST_TEST((blitz::connect(s4, eps.begin(), eps.end(), legacy) == eps.begin() + 2));
}

BOOST_AUTO_TEST_CASE(cancel_during_an_attempt_aborts_once_without_trying_further)
{
  stalled_listener stall;
  if (!stall.stalled)
  {
    BOOST_TEST_MESSAGE("could not fill a listen queue here; skipped");
    return;
  }
  blitz::io_context& ctx = stall.ctx;
  tcp::acceptor live(ctx, loopback_any());
  std::vector<tcp::endpoint> eps{stall.acceptor.local_endpoint(), live.local_endpoint()};
  tcp::socket s(ctx);
  int calls = 0;
  error_code got;
  blitz::async_connect(s, eps, [&](const error_code& ec, const tcp::endpoint&) {
    ++calls;
    got = ec;
  });
  blitz::steady_timer t(ctx, 30ms);
  t.async_wait([&](const error_code&) { s.cancel(); });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  error_code ec;
  live.non_blocking(true);
  tcp::socket peer(ctx);
  live.accept(peer, ec);
  BOOST_TEST((ec == blitz::error::would_block)); // the live endpoint was never tried

  // Closing the socket between attempts ends the operation the same way.
  tcp::socket s2(ctx);
  calls = 0;
  ctx.restart();
  blitz::async_connect(s2, eps, [&](const error_code& ec, const tcp::endpoint&) {
    ++calls;
    got = ec;
  });
  t.expires_after(30ms);
  t.async_wait([&](const error_code&) { s2.close(); });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
}

// As in Asio: cancel() or close() right after async_connect ends the connect with
// operation_aborted, exactly once, even on loopback where the handshake is over before
// connect(2) returns. (The epoll backend performed it at once and reported success; the
// io_uring one read SO_ERROR from the closed descriptor and reported bad_descriptor.)
BOOST_AUTO_TEST_CASE(cancel_or_close_right_after_async_connect_aborts_it)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  for (bool close : {false, true})
    for (int round = 0; round < 3; ++round)
    {
      tcp::socket s(ctx);
      int calls = 0;
      error_code got;
      s.async_connect(acceptor.local_endpoint(), [&](const error_code& ec) {
        ++calls;
        got = ec;
      });
      if (close)
        s.close();
      else
        s.cancel();
      ctx.run();
      ctx.restart();
      BOOST_TEST(calls == 1);
      BOOST_TEST((got == blitz::error::operation_aborted), (close ? "close" : "cancel")
                                                               << ": " << got.message());
      BOOST_TEST(s.is_open() == !close);
      tcp::socket peer(ctx);
      acceptor.accept(peer); // the handshake the kernel did
    }
}

BOOST_AUTO_TEST_CASE(cancellation_slot_reaches_the_attempt_in_flight)
{
  stalled_listener stall;
  if (!stall.stalled)
  {
    BOOST_TEST_MESSAGE("could not fill a listen queue here; skipped");
    return;
  }
  blitz::io_context& ctx = stall.ctx;
  tcp::acceptor live(ctx, loopback_any());
  std::vector<tcp::endpoint> eps{stall.acceptor.local_endpoint(), live.local_endpoint()};
  tcp::socket s(ctx);
  blitz::cancellation_signal signal;
  int calls = 0;
  error_code got;
  blitz::async_connect(s, eps, blitz::bind_cancellation_slot(signal.slot(),
                                                             [&](const error_code& ec, const tcp::endpoint&) {
                                                               ++calls;
                                                               got = ec;
                                                             }));
  blitz::steady_timer t(ctx, 30ms);
  t.async_wait([&](const error_code&) { signal.emit(blitz::cancellation_type::terminal); });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted), got.message() << " calls " << calls);
}

BOOST_AUTO_TEST_CASE(local_endpoints_range)
{
  using blitz::local::stream_protocol;
  char tmpl[] = "/tmp/blitz-connect-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  BOOST_REQUIRE(dir != nullptr);
  const std::string live_path = std::string(dir) + "/live.sock";
  const std::string missing_path = std::string(dir) + "/missing.sock";
  {
    blitz::io_context ctx;
    stream_protocol::acceptor live(ctx, stream_protocol::endpoint(live_path));
    std::vector<stream_protocol::endpoint> eps{stream_protocol::endpoint(missing_path),
                                               stream_protocol::endpoint(live_path)};
    stream_protocol::socket s(ctx);
    BOOST_TEST(blitz::connect(s, eps).path() == live_path);
    stream_protocol::socket s2(ctx);
    std::string got;
    blitz::async_connect(s2, eps, [&](const error_code& ec, const stream_protocol::endpoint& ep) {
      BOOST_TEST(!ec);
      got = ep.path();
    });
    ctx.run();
    BOOST_TEST(got == live_path);
    std::vector<stream_protocol::endpoint> missing{stream_protocol::endpoint(missing_path)};
    error_code ec;
    blitz::connect(s2, missing, ec);
    BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));
  }
  ::unlink(live_path.c_str());
  ::rmdir(dir);
}

// Socket features beyond connect, on TCP.

// A read stops short at the urgent mark with ordinary data behind it. The epoll backend
// takes a short read as "the socket is drained" and waits for the next event before reading
// again, but no event would come for data already there: it must not do so while urgent
// data is pending.
BOOST_AUTO_TEST_CASE(reads_go_on_past_the_urgent_mark)
{
  blitz_test::connected_pair p;
  blitz::io_context& ctx = p.ctx;
  tcp::socket& client = p.client;
  tcp::socket& server = p.server;
  std::string got;
  char buf[16];
  std::function<void()> read = [&] {
    server.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      got.append(buf, n);
      if (!ec && got.size() < 4)
        read();
    });
  };
  // The first read waits for data; then everything arrives at once, so one event reports
  // it all (urgent data included) and none follows.
  read();
  ctx.poll();
  blitz::write(client, blitz::buffer("ab", 2));
  client.send(blitz::buffer("!", 1), tcp::socket::message_out_of_band);
  blitz::write(client, blitz::buffer("cd", 2));
  ctx.run_for(3s);
  BOOST_TEST(got == "abcd");
}

BOOST_AUTO_TEST_CASE(at_mark_with_out_of_band_data)
{
  blitz_test::connected_pair p;
  blitz::io_context& ctx = p.ctx;
  tcp::socket& client = p.client;
  tcp::socket& server = p.server;
  blitz::write(client, blitz::buffer("ab", 2));
  client.send(blitz::buffer("!", 1), tcp::socket::message_out_of_band);
  // Urgent data is an exceptional condition: wait_error reports it.
  server.wait(tcp::socket::wait_error);
  BOOST_TEST(!server.at_mark()); // "ab" comes before the mark
  char buf[8];
  BOOST_TEST(server.read_some(blitz::buffer(buf)) == 2u); // stops at the mark
  BOOST_TEST(server.at_mark());
  BOOST_TEST(server.receive(blitz::buffer(buf), tcp::socket::message_out_of_band) == 1u);
  BOOST_TEST(buf[0] == '!');
  error_code ec;
  server.at_mark(ec);
  BOOST_TEST(!ec);

  // Urgent data already queued: async_wait(wait_error) completes.
  client.send(blitz::buffer("?", 1), tcp::socket::message_out_of_band);
  server.wait(tcp::socket::wait_error);
  bool exceptional = false;
  server.async_wait(tcp::socket::wait_error, [&](const error_code& ec) { exceptional = !ec; });
  ctx.run();
  BOOST_TEST(exceptional);
  BOOST_TEST(server.receive(blitz::buffer(buf), tcp::socket::message_out_of_band) == 1u);

  // Urgent data arriving while the wait is pending. Known gap: an io_uring POLL_ADD armed
  // for POLLPRI alone is not woken by TCP urgent data on this kernel (the epoll backend
  // re-checks POLLPRI on every event and sees it), so on io_uring this is only a warning.
  exceptional = false;
  ctx.restart();
  server.async_wait(tcp::socket::wait_error, [&](const error_code& ec) { exceptional = !ec; });
  blitz::post(ctx, [&] { client.send(blitz::buffer("#", 1), tcp::socket::message_out_of_band); });
  ctx.run_for(1s);
  if (std::string(ctx.backend_name()) == "epoll")
    BOOST_TEST(exceptional);
  else
    BOOST_WARN_MESSAGE(exceptional, "wait_error pending before urgent data did not complete on "
                                        << ctx.backend_name());
}

BOOST_AUTO_TEST_CASE(tcp_io_control_and_native_non_blocking)
{
  blitz_test::connected_pair p;
  blitz::io_context& ctx = p.ctx;
  tcp::socket& client = p.client;
  tcp::socket& server = p.server;
  blitz::write(client, blitz::buffer("1234567", 7));
  server.wait(tcp::socket::wait_read);
  tcp::socket::bytes_readable cmd;
  server.io_control(cmd);
  BOOST_TEST(cmd.get() == 7u);
  BOOST_TEST(server.available() == 7u);

  // A blocking descriptor for code that wants one; async operations restore it.
  server.native_non_blocking(false);
  BOOST_TEST((::fcntl(server.native_handle(), F_GETFL) & O_NONBLOCK) == 0);
  char buf[8];
  BOOST_TEST(server.read_some(blitz::buffer(buf)) == 7u);
  server.async_read_some(blitz::buffer(buf), [](const error_code& ec, std::size_t) {
    BOOST_TEST((ec == blitz::error::eof));
  });
  BOOST_TEST((::fcntl(server.native_handle(), F_GETFL) & O_NONBLOCK) != 0);
  client.shutdown(tcp::socket::shutdown_send);
  ctx.run();
}

BOOST_AUTO_TEST_CASE(accepted_sockets_take_the_listeners_family)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx);
  error_code ec;
  acceptor.open(tcp::v6(), ec);
  if (!ec)
    acceptor.bind(tcp::endpoint(blitz::ip::address_v6::loopback(), 0), ec);
  if (ec)
  {
    BOOST_TEST_MESSAGE("no IPv6 loopback here; skipped");
    return;
  }
  acceptor.listen();
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  // Family-dependent options on the accepted socket go to the IPv6 level.
  tcp::socket server = acceptor.accept();
  server.set_option(blitz::ip::unicast::hops(42));
  int raw = 0;
  socklen_t len = sizeof(raw);
  BOOST_TEST(::getsockopt(server.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &raw, &len) == 0);
  BOOST_TEST(raw == 42);
  blitz::ip::unicast::hops h;
  server.get_option(h);
  BOOST_TEST(h.value() == 42);
}

// Asio's synchronous calls in user non-blocking mode: connect() still waits for the
// handshake and reports its result (never in_progress); wait() only looks, and reports
// would_block when the socket is not ready.
BOOST_AUTO_TEST_CASE(non_blocking_mode_sync_connect_waits_and_wait_only_looks)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  tcp::socket client(ctx);
  client.open(tcp::v4());
  client.non_blocking(true);
  error_code ec = blitz::error::would_block;
  client.connect(acceptor.local_endpoint(), ec);
  BOOST_TEST(!ec);
  tcp::socket server(ctx);
  acceptor.accept(server);

  server.non_blocking(true);
  // Should wait() block, the peer's bytes end it after a while, and the check below fails.
  std::thread late([&] {
    std::this_thread::sleep_for(500ms);
    blitz::write(client, blitz::buffer("x", 1));
  });
  server.wait(tcp::socket::wait_read, ec);
  BOOST_TEST((ec == blitz::error::would_block));
  late.join();
  server.wait(tcp::socket::wait_read, ec); // the byte is there now
  BOOST_TEST(!ec);
  server.wait(tcp::socket::wait_write, ec);
  BOOST_TEST(!ec);
}
