#define BOOST_TEST_MODULE local
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "../example/local/unix_echo.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using blitz::local::datagram_protocol;
using blitz::local::stream_protocol;
using boost::system::error_code;

namespace {

// A fresh directory for socket files, removed with everything in it.
struct temp_dir
{
  std::string path;
  temp_dir()
  {
    char tmpl[] = "/tmp/blitz-local-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    BOOST_REQUIRE(p != nullptr);
    path = p;
  }
  ~temp_dir()
  {
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0)
      BOOST_TEST_MESSAGE("could not remove " << path);
  }
  std::string file(const char* name) const { return path + "/" + name; }
};

// An abstract-namespace name unique to this process and tag.
std::string abstract_name(const char* tag)
{
  std::string name(1, '\0');
  name += "blitz-test-" + std::to_string(::getpid()) + "-" + tag;
  return name;
}

struct stream_pair
{
  blitz::io_context ctx;
  stream_protocol::socket a{ctx};
  stream_protocol::socket b{ctx};
  stream_pair() { blitz::local::connect_pair(a, b); }
};

} // namespace

BOOST_AUTO_TEST_CASE(endpoint_paths_abstract_names_and_limits)
{
  stream_protocol::endpoint unnamed;
  BOOST_TEST(unnamed.path().empty());
  BOOST_TEST(unnamed.size() == offsetof(sockaddr_un, sun_path));

  stream_protocol::endpoint p("/tmp/x.sock");
  BOOST_TEST(p.path() == "/tmp/x.sock");
  BOOST_TEST(p.data()->sa_family == AF_UNIX);
  BOOST_TEST(p.protocol().family() == AF_UNIX);
  BOOST_TEST((p == stream_protocol::endpoint(std::string("/tmp/x.sock"))));
  BOOST_TEST((p != unnamed));
  BOOST_TEST((unnamed < p));
  std::ostringstream os;
  os << p;
  BOOST_TEST(os.str() == "/tmp/x.sock");

  // Abstract names keep every byte, trailing zeros included.
  std::string abs("\0name\0", 6);
  stream_protocol::endpoint a(abs);
  BOOST_TEST(a.path() == abs);
  BOOST_TEST(a.size() == offsetof(sockaddr_un, sun_path) + 6);
  BOOST_TEST((a != stream_protocol::endpoint(std::string("\0name", 5))));

  // A path needs room for its NUL; an abstract name may fill sun_path.
  const std::size_t cap = sizeof(sockaddr_un{}.sun_path);
  BOOST_CHECK_NO_THROW(stream_protocol::endpoint(std::string(cap - 1, 'p')));
  try
  {
    stream_protocol::endpoint too_long(std::string(cap, 'p'));
    BOOST_FAIL("an over-long path was accepted");
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == blitz::error::name_too_long));
  }
  BOOST_CHECK_NO_THROW(stream_protocol::endpoint(std::string(1, '\0') + std::string(cap - 1, 'a')));
  BOOST_CHECK_THROW(stream_protocol::endpoint(std::string(1, '\0') + std::string(cap, 'a')),
                    boost::system::system_error);

  // resize(): what the kernel reports for a path includes its NUL.
  stream_protocol::endpoint r("/tmp/abc");
  r.resize(offsetof(sockaddr_un, sun_path) + 9);
  BOOST_TEST(r.path() == "/tmp/abc");
  r.resize(0);
  BOOST_TEST(r.path().empty());
  BOOST_CHECK_THROW(r.resize(r.capacity() + 1), boost::system::system_error);

  stream_protocol::endpoint q;
  q.path("/run/y");
  BOOST_TEST(q.path() == "/run/y");
}

BOOST_AUTO_TEST_CASE(stream_accept_connect_echo_on_a_path)
{
  temp_dir dir;
  const std::string path = dir.file("s.sock");
  blitz::io_context ctx;
  stream_protocol::acceptor acceptor(ctx, stream_protocol::endpoint(path));
  BOOST_TEST(acceptor.local_endpoint().path() == path);
  stream_protocol::socket client(ctx);
  stream_protocol::socket server(ctx);
  stream_protocol::endpoint peer("/not/yet");
  std::array<char, 16> sbuf{}, cbuf{};
  int steps = 0;
  acceptor.async_accept(server, peer, [&](const error_code& ec) {
    BOOST_REQUIRE(!ec);
    ++steps;
    BOOST_TEST(peer.path().empty()); // an unbound client is unnamed
    BOOST_TEST(server.local_endpoint().path() == path);
    server.async_read_some(blitz::buffer(sbuf), [&](const error_code& ec, std::size_t n) {
      BOOST_REQUIRE(!ec);
      ++steps;
      blitz::async_write(server, blitz::buffer(sbuf.data(), n), [&](const error_code& ec, std::size_t) {
        BOOST_TEST(!ec);
        ++steps;
      });
    });
  });
  client.async_connect(stream_protocol::endpoint(path), [&](const error_code& ec) {
    BOOST_REQUIRE(!ec);
    ++steps;
    BOOST_TEST(client.remote_endpoint().path() == path);
    blitz::write(client, blitz::buffer("local", 5));
    blitz::async_read(client, blitz::buffer(cbuf.data(), 5), [&](const error_code& ec, std::size_t n) {
      BOOST_TEST(!ec);
      BOOST_TEST(std::string(cbuf.data(), n) == "local");
      ++steps;
    });
  });
  ctx.run();
  BOOST_TEST(steps == 5);
}

BOOST_AUTO_TEST_CASE(abstract_namespace_move_accept_and_sync_accept)
{
  blitz::io_context ctx;
  const stream_protocol::endpoint ep(abstract_name("stream"));
  stream_protocol::acceptor acceptor(ctx, ep);
  BOOST_TEST((acceptor.local_endpoint() == ep));
  stream_protocol::socket c1(ctx);
  bool accepted = false;
  acceptor.async_accept([&](const error_code& ec, stream_protocol::socket s) {
    BOOST_REQUIRE(!ec);
    accepted = true;
    BOOST_TEST((s.local_endpoint() == ep));
    blitz::write(s, blitz::buffer("hi", 2));
  });
  c1.connect(ep);
  ctx.run();
  BOOST_TEST(accepted);
  char buf[2];
  BOOST_TEST(blitz::read(c1, blitz::buffer(buf)) == 2u);

  stream_protocol::socket c2(ctx);
  c2.connect(ep);
  stream_protocol::endpoint peer;
  stream_protocol::socket s2 = acceptor.accept();
  BOOST_TEST(s2.is_open());
  stream_protocol::socket c3(ctx), s3(ctx);
  c3.connect(ep);
  acceptor.accept(s3, peer);
  BOOST_TEST(peer.path().empty());
}

BOOST_AUTO_TEST_CASE(connect_to_missing_path_and_to_dead_socket_file)
{
  temp_dir dir;
  blitz::io_context ctx;
  const stream_protocol::endpoint missing(dir.file("nobody.sock"));
  stream_protocol::socket s(ctx);
  error_code ec;
  s.connect(missing, ec);
  BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));
  BOOST_CHECK_THROW(s.connect(missing), boost::system::system_error);

  error_code async_ec;
  stream_protocol::socket s2(ctx);
  s2.async_connect(missing, [&](const error_code& e) { async_ec = e; });
  ctx.run();
  BOOST_TEST((async_ec == boost::system::errc::no_such_file_or_directory));

  // A socket file whose listener is gone refuses.
  const stream_protocol::endpoint dead(dir.file("dead.sock"));
  {
    stream_protocol::acceptor a(ctx, dead);
  }
  stream_protocol::socket s3(ctx);
  s3.connect(dead, ec);
  BOOST_TEST((ec == blitz::error::connection_refused));

  // And binding over that leftover file is address_in_use.
  stream_protocol::acceptor again(ctx, stream_protocol());
  again.bind(dead, ec);
  BOOST_TEST((ec == blitz::error::address_in_use));
  // A path in a directory that does not exist.
  again.bind(stream_protocol::endpoint(dir.file("no/such/dir.sock")), ec);
  BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_CASE(connect_pair_streams_sync_and_async)
{
  stream_pair p;
  BOOST_TEST(p.a.local_endpoint().path().empty());
  BOOST_TEST(p.a.write_some(blitz::buffer("sync", 4)) == 4u);
  char buf[16];
  BOOST_TEST(p.b.read_some(blitz::buffer(buf)) == 4u);
  std::string got;
  p.b.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    got.assign(buf, n);
  });
  p.a.async_write_some(blitz::buffer("async", 5), [](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 5u);
  });
  p.ctx.run();
  BOOST_TEST(got == "async");

  // Already open: refused without touching either socket.
  error_code ec;
  blitz::local::connect_pair(p.a, p.b, ec);
  BOOST_TEST((ec == blitz::error::already_open));
  BOOST_TEST(p.a.is_open());
}

BOOST_AUTO_TEST_CASE(half_close_delivers_eof_while_reading_continues)
{
  stream_pair p;
  // a says it will send no more, then keeps reading what b sends.
  blitz::write(p.a, blitz::buffer("last", 4));
  p.a.shutdown(stream_protocol::socket::shutdown_send);
  std::vector<char> got(16);
  error_code b_ec;
  std::size_t b_n = 0;
  blitz::async_read(p.b, blitz::buffer(got), [&](const error_code& ec, std::size_t n) {
    b_ec = ec;
    b_n = n;
    blitz::async_write(p.b, blitz::buffer("reply", 5), [&](const error_code& ec, std::size_t) {
      BOOST_TEST(!ec);
      p.b.shutdown(stream_protocol::socket::shutdown_send);
    });
  });
  char abuf[16];
  error_code a_ec;
  std::size_t a_n = 0;
  blitz::async_read(p.a, blitz::buffer(abuf), [&](const error_code& ec, std::size_t n) {
    a_ec = ec;
    a_n = n;
  });
  p.ctx.run();
  BOOST_TEST((b_ec == blitz::error::eof));
  BOOST_TEST(b_n == 4u);
  BOOST_TEST((a_ec == blitz::error::eof));
  BOOST_TEST(a_n == 5u);
  BOOST_TEST(std::string(abuf, 5) == "reply");
  // Writing after shutdown(send) is the kernel's EPIPE, never a SIGPIPE.
  error_code ec;
  p.a.write_some(blitz::buffer("x", 1), ec);
  BOOST_TEST((ec == blitz::error::broken_pipe));
}

BOOST_AUTO_TEST_CASE(large_transfer_through_a_stream_pair)
{
  stream_pair p;
  const std::size_t size = 4 * 1024 * 1024;
  std::vector<char> data(size);
  for (std::size_t i = 0; i < size; ++i)
    data[i] = static_cast<char>((i * 131) >> 3);
  std::vector<char> got(size);
  std::size_t w = 0, r = 0;
  blitz::async_write(p.a, blitz::buffer(data), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    w = n;
  });
  blitz::async_read(p.b, blitz::buffer(got), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    r = n;
  });
  p.ctx.run();
  BOOST_TEST(w == size);
  BOOST_TEST(r == size);
  BOOST_TEST((got == data));
}

BOOST_AUTO_TEST_CASE(datagrams_on_paths_pairs_and_unnamed_senders)
{
  temp_dir dir;
  blitz::io_context ctx;
  const datagram_protocol::endpoint rx_ep(dir.file("rx.sock"));
  const datagram_protocol::endpoint tx_ep(dir.file("tx.sock"));
  datagram_protocol::socket rx(ctx, rx_ep);
  datagram_protocol::socket tx(ctx, tx_ep);
  datagram_protocol::socket anon(ctx, datagram_protocol());

  tx.send_to(blitz::buffer("named", 5), rx_ep);
  anon.send_to(blitz::buffer("anon", 4), rx_ep);
  char buf[16];
  datagram_protocol::endpoint from;
  std::vector<std::string> senders, bodies;
  std::function<void()> next = [&] {
    rx.async_receive_from(blitz::buffer(buf), from, [&](const error_code& ec, std::size_t n) {
      BOOST_REQUIRE(!ec);
      senders.push_back(from.path());
      bodies.emplace_back(buf, n);
      if (bodies.size() < 2)
        next();
    });
  };
  next();
  ctx.run();
  BOOST_REQUIRE(bodies.size() == 2u);
  // UNIX datagrams are reliable and ordered.
  BOOST_TEST(bodies[0] == "named");
  BOOST_TEST(senders[0] == tx_ep.path());
  BOOST_TEST(bodies[1] == "anon");
  BOOST_TEST(senders[1].empty());

  // Sending to a path nobody is bound to.
  error_code ec;
  tx.send_to(blitz::buffer("x", 1), datagram_protocol::endpoint(dir.file("gone.sock")), 0, ec);
  BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));

  // A connected pair.
  datagram_protocol::socket a(ctx), b(ctx);
  blitz::local::connect_pair(a, b);
  std::size_t n = 0;
  ctx.restart();
  b.async_receive(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  a.async_send(blitz::buffer("pair", 4), [](const error_code& ec, std::size_t) { BOOST_TEST(!ec); });
  ctx.run();
  BOOST_TEST(n == 4u);
  BOOST_TEST(a.send(blitz::buffer("", 0)) == 0u); // an empty datagram
  BOOST_TEST(b.receive(blitz::buffer(buf)) == 0u);
}

BOOST_AUTO_TEST_CASE(wait_available_io_control_and_options)
{
  stream_pair p;
  bool readable = false, writable = false;
  p.a.async_wait(stream_protocol::socket::wait_write, [&](const error_code& ec) { writable = !ec; });
  p.b.async_wait(stream_protocol::socket::wait_read, [&](const error_code& ec) {
    readable = !ec;
    BOOST_TEST(p.b.available() == 3u);
    stream_protocol::socket::bytes_readable cmd;
    p.b.io_control(cmd);
    BOOST_TEST(cmd.get() == 3u);
  });
  blitz::post(p.ctx, [&] { blitz::write(p.a, blitz::buffer("abc", 3)); });
  p.ctx.run();
  BOOST_TEST(readable);
  BOOST_TEST(writable);
  p.a.wait(stream_protocol::socket::wait_write);

  // Generic options on a protocol that has no v4()/v6().
  p.a.set_option(stream_protocol::socket::send_buffer_size(32768));
  stream_protocol::socket::send_buffer_size sb;
  p.a.get_option(sb);
  BOOST_TEST(sb.value() >= 32768);
  stream_protocol::socket::keep_alive ka;
  error_code ec;
  p.a.get_option(ka, ec);
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(cancel_aborts_once_and_closed_sockets_are_bad_descriptor)
{
  stream_pair p;
  char buf[8];
  int calls = 0;
  error_code got;
  p.a.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    ++calls;
    got = ec;
  });
  blitz::steady_timer t(p.ctx, 10ms);
  t.async_wait([&](const error_code&) { p.a.cancel(); });
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));

  p.a.close();
  error_code ec;
  p.a.read_some(blitz::buffer(buf), ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.a.cancel(ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.a.at_mark(ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  p.ctx.restart();
  int bad = 0;
  p.a.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    bad += ec == blitz::error::bad_descriptor;
  });
  p.a.async_wait(stream_protocol::socket::wait_read, [&](const error_code& ec) {
    bad += ec == blitz::error::bad_descriptor;
  });
  p.ctx.run();
  BOOST_TEST(bad == 2);

  stream_protocol::acceptor acc(p.ctx);
  error_code aec;
  p.ctx.restart();
  acc.async_accept([&](const error_code& e, stream_protocol::socket) { aec = e; });
  p.ctx.run();
  BOOST_TEST((aec == blitz::error::bad_descriptor));
}

BOOST_AUTO_TEST_CASE(unix_echo_example_self_test)
{
  BOOST_TEST(unix_echo::self_test(8) == 0);
  struct stat st;
  if (::stat("stage/bin/unix_echo_server", &st) == 0)
    BOOST_TEST(std::system("stage/bin/unix_echo_server --self-test >/dev/null") == 0);
}
