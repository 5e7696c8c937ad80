// Long and sparse buffer sequences: empty buffers take no slot, a synchronous call takes
// as many buffers as Asio's (64), an asynchronous op io_op::max_iov, and a datagram is sent
// whole or fails with message_size, never cut short.
#define BOOST_TEST_MODULE scatter_gather
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <algorithm>
#include <string>
#include <vector>

using blitz::ip::udp;
using boost::system::error_code;
using blitz_test::connected_pair;

namespace {

// n buffers of `each` bytes over data, which must hold n * each.
template <class Buffer, class Byte>
std::vector<Buffer> slices(Byte* data, std::size_t n, std::size_t each)
{
  std::vector<Buffer> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(Buffer(data + i * each, each));
  return v;
}

std::string pattern(std::size_t n)
{
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + i % 26);
  return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(empty_buffers_take_no_slot)
{
  connected_pair p;
  char hello[5] = {'h', 'e', 'l', 'l', 'o'};
  std::vector<blitz::const_buffer> out(12, blitz::const_buffer(hello, 0));
  out.push_back(blitz::buffer(hello, 5));
  BOOST_TEST(p.client.write_some(out) == 5u);
  std::size_t async_n = 0;
  p.client.async_write_some(out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    async_n = n;
  });
  p.ctx.run();
  p.ctx.restart();
  BOOST_TEST(async_n == 5u);

  char in[10];
  std::size_t got = 0;
  while (got < 10)
  {
    std::vector<blitz::mutable_buffer> into(12, blitz::mutable_buffer(in, 0));
    into.push_back(blitz::buffer(in + got, 10 - got));
    got += p.server.read_some(into);
  }
  BOOST_TEST(std::string(in, 10) == "hellohello");
  std::vector<blitz::mutable_buffer> into(12, blitz::mutable_buffer(in, 0));
  into.push_back(blitz::buffer(in, 10));

  // Asynchronously too: the empties ahead of the data do not leave the op nothing to read.
  blitz::write(p.client, blitz::buffer(hello, 5));
  std::size_t read_n = 0;
  p.server.async_read_some(into, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    read_n = n;
  });
  p.ctx.run();
  BOOST_TEST(read_n == 5u);
  BOOST_TEST(std::string(in, 5) == "hello");
}

BOOST_AUTO_TEST_CASE(a_synchronous_stream_transfer_takes_64_buffers)
{
  connected_pair p;
  std::string data = pattern(1000);
  auto out = slices<blitz::const_buffer>(data.data(), 100, 10);
  BOOST_TEST(p.client.write_some(out) == 640u);
  std::string in(1000, '\0');
  std::size_t got = 0;
  while (got < 640)
    got += p.server.read_some(slices<blitz::mutable_buffer>(&in[got], (640 - got) / 10, 10));
  BOOST_TEST(in.substr(0, 640) == data.substr(0, 640));
}

BOOST_AUTO_TEST_CASE(an_asynchronous_stream_transfer_takes_max_iov_buffers_and_async_write_all)
{
  connected_pair p;
  std::string data = pattern(1000);
  auto out = slices<blitz::const_buffer>(data.data(), 100, 10);
  std::size_t some = 0, all = 0;
  p.client.async_write_some(out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    some = n;
  });
  p.ctx.run();
  p.ctx.restart();
  BOOST_TEST(some == 10 * blitz::detail::io_op::max_iov);
  blitz::async_write(p.client, out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    all = n;
  });
  p.ctx.run();
  BOOST_TEST(all == 1000u);
  std::string in(some + all, '\0');
  blitz::read(p.server, blitz::buffer(&in[0], in.size()));
  BOOST_TEST(in == data.substr(0, some) + data);
}

BOOST_AUTO_TEST_CASE(a_datagram_is_sent_whole_or_fails_with_message_size)
{
  blitz::io_context ctx;
  udp::socket rx(ctx, udp::endpoint(blitz::ip::address_v4::loopback(), 0));
  udp::socket tx(ctx, udp::endpoint(blitz::ip::address_v4::loopback(), 0));
  tx.connect(rx.local_endpoint());
  std::string data = pattern(1000);
  char in[2000];
  udp::endpoint from;

  // Synchronous: 64 buffers go out as one datagram of 640 bytes, 65 fail.
  BOOST_TEST(tx.send_to(slices<blitz::const_buffer>(data.data(), 64, 10), rx.local_endpoint()) ==
             640u);
  BOOST_TEST(rx.receive_from(blitz::buffer(in), from) == 640u);
  BOOST_TEST(std::string(in, 640) == data.substr(0, 640));
  error_code ec;
  BOOST_TEST(tx.send_to(slices<blitz::const_buffer>(data.data(), 65, 10), rx.local_endpoint(),
                        0, ec) == 0u);
  BOOST_TEST((ec == blitz::error::message_size));
  ec = error_code();
  BOOST_TEST(tx.send(slices<blitz::const_buffer>(data.data(), 65, 10), 0, ec) == 0u);
  BOOST_TEST((ec == blitz::error::message_size));

  // Asynchronous: max_iov buffers go out whole; one more fails, for send_to and send.
  const std::size_t fits = blitz::detail::io_op::max_iov;
  std::vector<std::string> log;
  auto record = [&](const char* what) {
    return [&log, what](const error_code& ec, std::size_t n) {
      log.push_back(std::string(what) + " " + std::to_string(n) + " " +
                    (ec == blitz::error::message_size ? "message_size" : ec ? "error" : "ok"));
    };
  };
  tx.async_send_to(slices<blitz::const_buffer>(data.data(), fits, 10), rx.local_endpoint(),
                   record("send_to fits"));
  tx.async_send_to(slices<blitz::const_buffer>(data.data(), fits + 1, 10), rx.local_endpoint(),
                   record("send_to one more"));
  tx.async_send(slices<blitz::const_buffer>(data.data(), fits + 1, 10), record("send one more"));
  ctx.run();
  std::vector<std::string> expected{"send_to fits " + std::to_string(10 * fits) + " ok",
                                    "send_to one more 0 message_size",
                                    "send one more 0 message_size"};
  std::sort(log.begin(), log.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(log == expected, boost::test_tools::per_element());

  // Only the datagram that fitted was sent.
  BOOST_TEST(rx.receive_from(blitz::buffer(in), from) == 10 * fits);
  rx.non_blocking(true);
  rx.receive_from(blitz::buffer(in), from, 0, ec);
  BOOST_TEST((ec == blitz::error::would_block));
}
