#define BOOST_TEST_MODULE streambuf
#include <boost/test/unit_test.hpp>

#include <blitz/basic_stream_socket.hpp>
#include <blitz/bind_executor.hpp>
#include <blitz/buffers_iterator.hpp>
#include <blitz/dynamic_buffer.hpp>
#include <blitz/io_context.hpp>
#include <blitz/ip/tcp.hpp>
#include <blitz/read.hpp>
#include <blitz/read_until.hpp>
#include <blitz/read_until_regex.hpp>
#include <blitz/streambuf.hpp>
#include <blitz/write.hpp>

#include <boost/regex.hpp>

#include <algorithm>
#include <cstring>
#include <array>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

// A connected pair made with the synchronous calls.
struct socket_pair
{
  blitz::io_context ctx;
  tcp::acceptor acceptor{ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0)};
  tcp::socket writer{ctx};
  tcp::socket reader{ctx};
  socket_pair()
  {
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
  }
  void send(const std::string& s) { blitz::write(writer, blitz::buffer(s)); }
};

std::string contents(const blitz::streambuf& sb)
{
  return std::string(blitz::buffers_begin(sb.data()), blitz::buffers_end(sb.data()));
}

using sb_iterator = blitz::buffers_iterator<blitz::streambuf::const_buffers_type>;

// Matches "<digits>;" with the digits summing to 10 (something no delimiter can say).
std::pair<sb_iterator, bool> digits_summing_to_ten(sb_iterator begin, sb_iterator end)
{
  int sum = 0;
  for (sb_iterator it = begin; it != end; ++it)
  {
    if (*it == ';')
      return std::make_pair(it + 1, sum == 10);
    sum += *it - '0';
  }
  return std::make_pair(begin, false);
}

// A function object with result_type: Asio's other kind of match condition.
struct match_char
{
  using result_type = std::pair<blitz::buffers_iterator<blitz::const_buffers_1>, bool>;
  char c;
  template <class Iterator>
  std::pair<Iterator, bool> operator()(Iterator begin, Iterator end) const
  {
    Iterator it = std::find(begin, end, c);
    return it == end ? std::make_pair(end, false) : std::make_pair(it + 1, true);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(streambuf_prepare_commit_consume)
{
  blitz::streambuf sb(64);
  BOOST_TEST(sb.size() == 0u);
  BOOST_TEST(sb.max_size() == 64u);
  BOOST_TEST(sb.capacity() > 0u);

  auto out = sb.prepare(10);
  BOOST_TEST(out.size() == 10u);
  std::memcpy(out.data(), "0123456789", 10);
  sb.commit(4);
  BOOST_TEST(sb.size() == 4u);
  BOOST_TEST(contents(sb) == "0123");
  sb.commit(100); // clamped to the rest of what was prepared
  BOOST_TEST(sb.size() == 10u);
  sb.commit(1); // nothing prepared any more
  BOOST_TEST(sb.size() == 10u);

  sb.consume(1);
  BOOST_TEST(contents(sb) == "123456789");
  // Reclaiming consumed space keeps data intact.
  auto more = sb.prepare(55);
  std::memset(more.data(), 'x', 55);
  sb.commit(55);
  BOOST_TEST(sb.size() == 64u);
  BOOST_TEST(contents(sb).substr(0, 10) == "123456789x");
  BOOST_CHECK_THROW(sb.prepare(1), std::length_error);
  sb.consume(1000);
  BOOST_TEST(sb.size() == 0u);
  BOOST_CHECK_NO_THROW(sb.prepare(64));
  BOOST_CHECK_THROW(sb.prepare(65), std::length_error);
}

BOOST_AUTO_TEST_CASE(streambuf_works_with_iostreams)
{
  blitz::streambuf sb;
  std::ostream os(&sb);
  os << "answer " << 42 << '\n' << 3.5;
  BOOST_TEST(contents(sb) == "answer 42\n3.5");

  std::istream is(&sb);
  std::string word;
  int n = 0;
  double d = 0;
  is >> word >> n >> d;
  BOOST_TEST(word == "answer");
  BOOST_TEST(n == 42);
  BOOST_TEST(d == 3.5);
  BOOST_TEST(sb.size() == 0u);

  // Big output grows the buffer; a capped one stops at its cap with badbit.
  std::string big(100000, 'q');
  os << big;
  BOOST_TEST(sb.size() == big.size());
  blitz::streambuf capped(10);
  std::ostream co(&capped);
  co << "0123456789abc";
  BOOST_TEST(co.bad());
  BOOST_TEST(capped.size() == 10u);
}

BOOST_AUTO_TEST_CASE(dynamic_string_and_vector_buffers)
{
  std::string s = "abc";
  auto b = blitz::dynamic_buffer(s, 10);
  BOOST_TEST(b.size() == 3u);
  BOOST_TEST(b.max_size() == 10u);
  auto out = b.prepare(5);
  std::memcpy(out.data(), "defgh", 5);
  b.commit(2);
  BOOST_TEST(s == "abcde"); // the scratch tail is gone after commit
  BOOST_TEST(b.size() == 5u);
  BOOST_CHECK_THROW(b.prepare(6), std::length_error);
  b.consume(2);
  BOOST_TEST(s == "cde");
  BOOST_TEST(std::string(blitz::buffers_begin(b.data()), blitz::buffers_end(b.data())) == "cde");

  std::vector<unsigned char> v;
  auto vb = blitz::dynamic_buffer(v);
  auto vo = vb.prepare(3);
  std::memcpy(vo.data(), "xyz", 3);
  vb.commit(3);
  BOOST_TEST(v.size() == 3u);
  BOOST_TEST(v[2] == 'z');
  vb.consume(10);
  BOOST_TEST(v.empty());
  BOOST_TEST(blitz::is_dynamic_buffer_v1<decltype(vb)>::value);
  BOOST_TEST(!blitz::is_dynamic_buffer_v1<std::string>::value);
}

BOOST_AUTO_TEST_CASE(buffers_iterator_walks_a_sequence_as_one_array)
{
  std::string a = "hel", c = "lo, wo", d = "rld";
  std::vector<blitz::const_buffer> seq{blitz::buffer(a), blitz::const_buffer(), blitz::buffer(c),
                                       blitz::buffer(d)};
  auto begin = blitz::buffers_begin(seq);
  auto end = blitz::buffers_end(seq);
  BOOST_TEST((end - begin) == 12);
  BOOST_TEST(std::string(begin, end) == "hello, world");
  BOOST_TEST(begin[4] == 'o');
  BOOST_TEST(*(end - 1) == 'd');
  BOOST_TEST(*(begin + 9 - 6) == 'l');
  auto it = end;
  it -= 9;
  BOOST_TEST(*it == 'l');
  --it;
  --it;
  BOOST_TEST(*it == 'e');
  it += 1;
  BOOST_TEST(bool(it < end));
  const std::string needle = "lo, w";
  auto found = std::search(begin, end, needle.begin(), needle.end());
  BOOST_TEST((found - begin) == 3);

  // Iterators over a single buffer outlive the temporary sequence they came from.
  blitz::streambuf sb;
  std::ostream(&sb) << "abc";
  auto b2 = blitz::buffers_begin(sb.data());
  auto e2 = blitz::buffers_end(sb.data());
  BOOST_TEST(std::string(b2, e2) == "abc");

  // Writable through a mutable sequence.
  char raw[4] = {'a', 'b', 'c', 'd'};
  auto mb = blitz::buffer(raw);
  auto m = blitz::buffers_begin(mb);
  m[1] = 'X';
  BOOST_TEST(raw[1] == 'X');
}

BOOST_AUTO_TEST_CASE(read_until_every_delimiter_kind_synchronously)
{
  socket_pair p;
  p.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nline\nrest");
  blitz::streambuf sb;
  std::size_t n = blitz::read_until(p.reader, sb, "\r\n");
  BOOST_TEST(contents(sb).substr(0, n) == "GET / HTTP/1.1\r\n");
  sb.consume(n);
  // Already in the buffer: no read needed, the data after each delimiter stays put.
  n = blitz::read_until(p.reader, sb, std::string("\r\n\r\n"));
  BOOST_TEST(contents(sb).substr(0, n) == "Host: x\r\n\r\n");
  sb.consume(n);
  n = blitz::read_until(p.reader, sb, '\n');
  BOOST_TEST(n == 5u);
  sb.consume(n);
  p.send("42 abc 7;");
  n = blitz::read_until(p.reader, sb, boost::regex("[0-9]+ [a-z]+"));
  BOOST_TEST(contents(sb).substr(0, n) == "rest42 abc");
  sb.consume(n);
  p.send("1234;");
  n = blitz::read_until(p.reader, sb, &digits_summing_to_ten);
  // " 7;" does not sum to ten; the search moves on to "1234;".
  BOOST_TEST(contents(sb).substr(0, n) == " 7;1234;");
  sb.consume(n);

  std::string s;
  p.send("k=v|tail");
  n = blitz::read_until(p.reader, blitz::dynamic_buffer(s), match_char{'|'});
  BOOST_TEST(s.substr(0, n) == "k=v|");
  BOOST_TEST(s.substr(n) == "tail");
}

BOOST_AUTO_TEST_CASE(read_until_max_size_and_eof)
{
  socket_pair p;
  p.send("0123456789");
  std::string s;
  error_code ec;
  std::size_t n = blitz::read_until(p.reader, blitz::dynamic_buffer(s, 8), '\n', ec);
  BOOST_TEST((ec == blitz::error::not_found));
  BOOST_TEST(n == 0u);
  BOOST_TEST(s == "01234567");
  BOOST_CHECK_THROW(blitz::read_until(p.reader, blitz::dynamic_buffer(s, 8), '\n'),
                    boost::system::system_error);

  blitz::streambuf sb;
  p.send("partial");
  p.writer.shutdown(tcp::socket::shutdown_send);
  n = blitz::read_until(p.reader, sb, "\r\n", ec);
  BOOST_TEST((ec == blitz::error::eof));
  BOOST_TEST(n == 0u);
  BOOST_TEST(contents(sb) == "89partial");
}

BOOST_AUTO_TEST_CASE(async_read_until_delimiter_spanning_two_reads)
{
  socket_pair p;
  blitz::streambuf sb;
  p.send("abc\r");
  std::size_t got = 0;
  int calls = 0;
  blitz::async_read_until(p.reader, sb, "\r\n", [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    got = n;
    ++calls;
  });
  // The first read brings "abc\r" (a partial match) and starts the next read.
  p.ctx.run_one();
  BOOST_TEST(calls == 0);
  BOOST_TEST(contents(sb) == "abc\r");
  p.send("\nnext");
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == 5u);
  BOOST_TEST(contents(sb) == "abc\r\nnext");

  // Same with a regex whose match straddles the two reads.
  sb.consume(sb.size());
  p.send("id=12");
  blitz::async_read_until(p.reader, sb, boost::regex("id=[0-9]+;"),
                          [&](const error_code& ec, std::size_t n) {
                            BOOST_TEST(!ec);
                            got = n;
                            ++calls;
                          });
  p.ctx.restart();
  p.ctx.run_one();
  BOOST_TEST(calls == 1);
  p.send("34;after");
  p.ctx.run();
  BOOST_TEST(calls == 2);
  BOOST_TEST(contents(sb).substr(0, got) == "id=1234;");
}

BOOST_AUTO_TEST_CASE(async_read_until_all_kinds_max_size_and_eof)
{
  socket_pair p;
  std::string s;
  std::vector<std::string> lines;
  error_code last;
  bool inline_call = false;
  p.send("one\ntwo\r\nthree;x");
  blitz::async_read_until(p.reader, blitz::dynamic_buffer(s), '\n', [&](const error_code& ec,
                                                                         std::size_t n) {
    BOOST_REQUIRE(!ec);
    lines.push_back(s.substr(0, n));
    s.erase(0, n);
    // Found in what is already buffered: completes without another read, but still not
    // inside the initiating call.
    inline_call = true;
    blitz::async_read_until(p.reader, blitz::dynamic_buffer(s), "\r\n",
                            [&](const error_code& ec, std::size_t n) {
                              BOOST_REQUIRE(!ec);
                              BOOST_TEST(!inline_call);
                              lines.push_back(s.substr(0, n));
                              s.erase(0, n);
                              blitz::async_read_until(
                                  p.reader, blitz::dynamic_buffer(s), match_char{';'},
                                  [&](const error_code& ec, std::size_t n) {
                                    BOOST_REQUIRE(!ec);
                                    lines.push_back(s.substr(0, n));
                                    s.erase(0, n);
                                  });
                            });
    inline_call = false;
  });
  p.ctx.run();
  BOOST_TEST(lines.size() == 3u);
  BOOST_TEST(lines[0] == "one\n");
  BOOST_TEST(lines[1] == "two\r\n");
  BOOST_TEST(lines[2] == "three;");
  BOOST_TEST(s == "x");

  // max_size reached without a delimiter.
  std::string capped;
  p.send("0123456789");
  std::size_t got = 99;
  blitz::async_read_until(p.reader, blitz::dynamic_buffer(capped, 6), "\n",
                          [&](const error_code& ec, std::size_t n) {
                            last = ec;
                            got = n;
                          });
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST((last == blitz::error::not_found));
  BOOST_TEST(got == 0u);
  BOOST_TEST(capped == "012345");

  // eof mid-message: error::eof, 0, and the partial message left in the buffer.
  blitz::streambuf sb;
  p.writer.close();
  blitz::async_read_until(p.reader, sb, '\n', [&](const error_code& ec, std::size_t n) {
    last = ec;
    got = n;
  });
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST((last == blitz::error::eof));
  BOOST_TEST(got == 0u);
  BOOST_TEST(contents(sb) == "6789");
}

BOOST_AUTO_TEST_CASE(read_and_write_with_dynamic_buffers_and_streambufs)
{
  socket_pair p;
  blitz::streambuf out;
  std::ostream os(&out);
  const std::string body(200000, 'b');
  os << "header:" << body;
  const std::size_t total = out.size();
  bool wrote = false;
  blitz::async_write(p.writer, out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == total);
    wrote = true;
    p.writer.shutdown(tcp::socket::shutdown_send);
  });
  std::string in;
  error_code read_ec;
  std::size_t read_n = 0;
  blitz::async_read(p.reader, blitz::dynamic_buffer(in), [&](const error_code& ec,
                                                            std::size_t n) {
    read_ec = ec;
    read_n = n;
  });
  p.ctx.run();
  BOOST_TEST(wrote);
  BOOST_TEST(out.size() == 0u);
  BOOST_TEST((read_ec == blitz::error::eof)); // transfer_all reads to the end of the stream
  BOOST_TEST(read_n == total);
  BOOST_TEST(in == "header:" + body);

  // Synchronous forms, with a completion condition and a capped buffer.
  socket_pair q;
  std::string msg = "0123456789abcdef";
  BOOST_TEST(blitz::write(q.writer, blitz::dynamic_buffer(msg)) == 16u);
  BOOST_TEST(msg.empty());
  blitz::streambuf sb;
  BOOST_TEST(blitz::read(q.reader, sb, blitz::transfer_exactly(4)) == 4u);
  BOOST_TEST(contents(sb) == "0123");
  std::vector<char> capped;
  error_code ec;
  std::size_t n = blitz::read(q.reader, blitz::dynamic_buffer(capped, 3), ec);
  BOOST_TEST(!ec); // stopped by max_size, not by an error
  BOOST_TEST(n == 3u);
  BOOST_TEST(std::string(capped.begin(), capped.end()) == "456");
}

BOOST_AUTO_TEST_CASE(composed_steps_follow_the_handlers_executor)
{
  // Every intermediate read of an async_read_until runs where the final handler will: a
  // handler bound to another context completes (and steps) only when that context runs.
  socket_pair p;
  blitz::io_context other;
  blitz::streambuf sb;
  p.send("part");
  bool done = false;
  blitz::async_read_until(p.reader, sb, "\n",
                          blitz::bind_executor(other.get_executor(),
                                               [&](const error_code& ec, std::size_t n) {
                                                 BOOST_TEST(!ec);
                                                 BOOST_TEST(n == 9u);
                                                 BOOST_TEST(other.get_executor()
                                                                .running_in_this_thread());
                                                 done = true;
                                               }));
  p.ctx.run_one(); // the first read completes here and is handed to `other`
  BOOST_TEST(!done);
  other.run_one(); // the op's next step runs on `other` and starts the second read
  p.send("-two\n");
  p.ctx.restart();
  p.ctx.run();
  other.restart();
  other.run();
  BOOST_TEST(done);
  BOOST_TEST(contents(sb) == "part-two\n");
}
