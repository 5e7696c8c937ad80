#define BOOST_TEST_MODULE address
#include <boost/test/unit_test.hpp>

#include <blitz/detail/socket_option.hpp>
#include <blitz/error.hpp>
#include <blitz/ip/address.hpp>
#include <blitz/ip/address_v4.hpp>
#include <blitz/ip/address_v6.hpp>
#include <blitz/ip/basic_endpoint.hpp>
#include <blitz/socket_base.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using blitz::ip::address;
using blitz::ip::address_v4;
using blitz::ip::address_v6;
using blitz::ip::make_address;
using blitz::ip::make_address_v4;
using blitz::ip::make_address_v6;
using boost::system::error_code;

namespace {

// Stands in for ip::tcp, which lives elsewhere.
class test_protocol
{
public:
  using endpoint = blitz::ip::basic_endpoint<test_protocol>;

  static test_protocol v4() { return test_protocol(AF_INET); }
  static test_protocol v6() { return test_protocol(AF_INET6); }

  int family() const { return family_; }
  int type() const { return SOCK_STREAM; }
  int protocol() const { return IPPROTO_TCP; }

  friend bool operator==(const test_protocol& a, const test_protocol& b)
  {
    return a.family_ == b.family_;
  }

private:
  explicit test_protocol(int family) : family_(family) {}
  int family_;
};

using endpoint = test_protocol::endpoint;

bool is_invalid_argument(const boost::system::system_error& e)
{
  return e.code() == blitz::error::invalid_argument;
}

template <typename T>
std::string streamed(const T& value)
{
  std::ostringstream os;
  os << value;
  return os.str();
}

const std::string with_nul("1.2.3.4\0junk", 12);

} // namespace

BOOST_AUTO_TEST_SUITE(v4)

BOOST_AUTO_TEST_CASE(parse_and_format_round_trip)
{
  const char* texts[] = {"0.0.0.0", "1.2.3.4", "192.168.1.10", "255.255.255.255", "10.0.0.1"};
  for (const char* text : texts)
  {
    BOOST_TEST(make_address_v4(text).to_string() == text);
    BOOST_TEST(make_address_v4(std::string(text)).to_string() == text);
  }

  const address_v4 a = make_address_v4("192.168.1.10");
  const address_v4::bytes_type expected = {{192, 168, 1, 10}};
  BOOST_TEST((a.to_bytes() == expected));
  BOOST_TEST(a.to_uint() == 0xC0A8010Au);
  BOOST_TEST(a.to_ulong() == 0xC0A8010Aul);
  BOOST_TEST((address_v4(0xC0A8010Au) == a));
  BOOST_TEST((address_v4(expected) == a));
  BOOST_TEST((blitz::ip::make_address_v4(expected) == a));
  BOOST_TEST((blitz::ip::make_address_v4(0xC0A8010Au) == a));
  BOOST_TEST((address_v4::from_string("192.168.1.10") == a));
}

BOOST_AUTO_TEST_CASE(well_known_addresses)
{
  BOOST_TEST(address_v4().to_string() == "0.0.0.0");
  BOOST_TEST(address_v4::any().to_string() == "0.0.0.0");
  BOOST_TEST(address_v4::loopback().to_string() == "127.0.0.1");
  BOOST_TEST(address_v4::broadcast().to_string() == "255.255.255.255");
  BOOST_TEST(address_v4::loopback().to_uint() == 0x7F000001u);
}

BOOST_AUTO_TEST_CASE(classification)
{
  BOOST_TEST(make_address_v4("127.0.0.1").is_loopback());
  BOOST_TEST(make_address_v4("127.200.3.4").is_loopback());
  BOOST_TEST(!make_address_v4("128.0.0.1").is_loopback());
  BOOST_TEST(!make_address_v4("126.255.255.255").is_loopback());

  BOOST_TEST(address_v4::any().is_unspecified());
  BOOST_TEST(!make_address_v4("0.0.0.1").is_unspecified());

  BOOST_TEST(make_address_v4("224.0.0.1").is_multicast());
  BOOST_TEST(make_address_v4("239.255.255.255").is_multicast());
  BOOST_TEST(!make_address_v4("223.255.255.255").is_multicast());
  BOOST_TEST(!make_address_v4("240.0.0.0").is_multicast());
}

BOOST_AUTO_TEST_CASE(ordering_is_numeric)
{
  const address_v4 a = make_address_v4("10.0.0.2");
  const address_v4 b = make_address_v4("10.0.0.10");
  BOOST_TEST((a < b));
  BOOST_TEST((b > a));
  BOOST_TEST((a <= b));
  BOOST_TEST((b >= a));
  BOOST_TEST(!(b < a));
  BOOST_TEST((a != b));
  BOOST_TEST((a == make_address_v4("10.0.0.2")));
  BOOST_TEST((a <= a));
  BOOST_TEST((a >= a));
  // Host order, not byte order of the last octet alone.
  BOOST_TEST((make_address_v4("9.255.255.255") < make_address_v4("10.0.0.0")));
}

BOOST_AUTO_TEST_CASE(invalid_input_sets_invalid_argument)
{
  const char* bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
      "::1", "1.2.3.-4", "localhost"};
  for (const char* text : bad)
  {
    BOOST_TEST_CONTEXT("input \"" << text << "\"")
    {
      error_code ec;
      const address_v4 a = make_address_v4(text, ec);
      BOOST_TEST((ec == blitz::error::invalid_argument));
      BOOST_TEST(a.is_unspecified());
      BOOST_CHECK_EXCEPTION(make_address_v4(text), boost::system::system_error, is_invalid_argument);
      BOOST_CHECK_EXCEPTION(
          make_address_v4(std::string(text)), boost::system::system_error, is_invalid_argument);
    }
  }

  error_code ec;
  make_address_v4(with_nul, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
  BOOST_CHECK_EXCEPTION(make_address_v4(with_nul), boost::system::system_error, is_invalid_argument);

  make_address_v4(static_cast<const char*>(nullptr), ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
}

BOOST_AUTO_TEST_CASE(success_clears_the_error_code)
{
  error_code ec = blitz::error::eof;
  const address_v4 a = make_address_v4("8.8.4.4", ec);
  BOOST_TEST(!ec);
  BOOST_TEST(a.to_string() == "8.8.4.4");

  ec = blitz::error::eof;
  BOOST_TEST(a.to_string(ec) == "8.8.4.4");
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(stream_and_hash)
{
  BOOST_TEST(streamed(make_address_v4("1.2.3.4")) == "1.2.3.4");
  std::wostringstream wos;
  wos << make_address_v4("5.6.7.8");
  BOOST_TEST((wos.str() == L"5.6.7.8"));

  std::hash<address_v4> h;
  BOOST_TEST(h(make_address_v4("1.2.3.4")) == h(make_address_v4("1.2.3.4")));
  BOOST_TEST(h(make_address_v4("1.2.3.4")) != h(make_address_v4("1.2.3.5")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(v6)

BOOST_AUTO_TEST_CASE(parse_and_format_round_trip)
{
  const char* texts[] = {"::", "::1", "2001:db8::1", "fe80::1:2:3:4", "ff02::1",
      "2001:db8:1:2:3:4:5:6", "::ffff:1.2.3.4"};
  for (const char* text : texts)
  {
    BOOST_TEST(make_address_v6(text).to_string() == text);
    BOOST_TEST(make_address_v6(std::string(text)).to_string() == text);
  }

  // Output is the canonical RFC 5952 form.
  BOOST_TEST(make_address_v6("2001:0DB8:0000:0000:0000:0000:0000:0001").to_string() == "2001:db8::1");

  const address_v6 a = make_address_v6("2001:db8::1");
  const address_v6::bytes_type expected = {
      {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  BOOST_TEST((a.to_bytes() == expected));
  BOOST_TEST(a.scope_id() == 0u);
  BOOST_TEST((address_v6(expected) == a));
  BOOST_TEST((make_address_v6(expected) == a));
  BOOST_TEST((address_v6::from_string("2001:db8::1") == a));
}

BOOST_AUTO_TEST_CASE(well_known_addresses)
{
  BOOST_TEST(address_v6().to_string() == "::");
  BOOST_TEST(address_v6::any().is_unspecified());
  BOOST_TEST(address_v6::loopback().to_string() == "::1");
  BOOST_TEST(address_v6::loopback().is_loopback());
  BOOST_TEST(!address_v6::any().is_loopback());
  BOOST_TEST(!address_v6::loopback().is_unspecified());
}

BOOST_AUTO_TEST_CASE(classification)
{
  BOOST_TEST(make_address_v6("fe80::1").is_link_local());
  BOOST_TEST(make_address_v6("febf::1").is_link_local());
  BOOST_TEST(!make_address_v6("fec0::1").is_link_local());
  BOOST_TEST(make_address_v6("fec0::1").is_site_local());
  BOOST_TEST(!make_address_v6("2001:db8::1").is_site_local());

  BOOST_TEST(make_address_v6("ff02::1").is_multicast());
  BOOST_TEST(!make_address_v6("fe80::1").is_multicast());
  BOOST_TEST(make_address_v6("ff02::1").is_multicast_link_local());
  BOOST_TEST(make_address_v6("ff0e::1").is_multicast_global());
  BOOST_TEST(make_address_v6("ff01::1").is_multicast_node_local());
  BOOST_TEST(make_address_v6("ff08::1").is_multicast_org_local());
  BOOST_TEST(make_address_v6("ff05::1").is_multicast_site_local());
  BOOST_TEST(!make_address_v6("ff05::1").is_multicast_link_local());

  BOOST_TEST(make_address_v6("::ffff:1.2.3.4").is_v4_mapped());
  BOOST_TEST(!make_address_v6("::1.2.3.4").is_v4_mapped());
  BOOST_TEST(!make_address_v6("::ff00:1.2.3.4").is_v4_mapped());
  BOOST_TEST(!make_address_v6("::fe:ffff:1.2.3.4").is_v4_mapped());
  BOOST_TEST(make_address_v6("::1.2.3.4").is_v4_compatible());
  BOOST_TEST(!make_address_v6("::1").is_v4_compatible());
  BOOST_TEST(!make_address_v6("::").is_v4_compatible());
}

BOOST_AUTO_TEST_CASE(invalid_input_sets_invalid_argument)
{
  const char* bad[] = {"", ":::", "2001:db8::1::2", "1.2.3.4", "12345::1", "g::1", "::1 ",
      "fe80::1%", "fe80::1%no-such-if0", "2001:db8::1%lo", "::1%4294967296", "::1%12a",
      "fe80::1%%1", "1:2:3:4:5:6:7:8:9"};
  for (const char* text : bad)
  {
    BOOST_TEST_CONTEXT("input \"" << text << "\"")
    {
      error_code ec;
      const address_v6 a = make_address_v6(text, ec);
      BOOST_TEST((ec == blitz::error::invalid_argument));
      BOOST_TEST(a.is_unspecified());
      BOOST_TEST(a.scope_id() == 0u);
      BOOST_CHECK_EXCEPTION(make_address_v6(text), boost::system::system_error, is_invalid_argument);
    }
  }

  // An address part too long to be one, in front of a zone.
  const std::string long_text = std::string(60, '1') + "%1";
  error_code ec;
  make_address_v6(long_text, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));

  const std::string nul("::1\0x", 5);
  make_address_v6(nul, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
  BOOST_CHECK_EXCEPTION(make_address_v6(nul), boost::system::system_error, is_invalid_argument);

  ec = blitz::error::eof;
  make_address_v6("::2", ec);
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(numeric_scope_id)
{
  const address_v6 a = make_address_v6("2001:db8::1%7");
  BOOST_TEST(a.scope_id() == 7u);
  BOOST_TEST(a.to_string() == "2001:db8::1%7");

  // A link-local scope naming no interface is printed as the number.
  const address_v6 b = make_address_v6("fe80::1%4000000");
  BOOST_TEST(b.scope_id() == 4000000u);
  BOOST_TEST(b.to_string() == "fe80::1%4000000");

  BOOST_TEST(make_address_v6("::1%4294967295").scope_id() == 4294967295u);

  address_v6 c = make_address_v6("2001:db8::1");
  c.scope_id(9);
  BOOST_TEST(c.scope_id() == 9u);
  BOOST_TEST(c.to_string() == "2001:db8::1%9");
  BOOST_TEST(address_v6(c.to_bytes(), 3).scope_id() == 3u);
}

BOOST_AUTO_TEST_CASE(interface_name_scope_id)
{
  const unsigned lo = ::if_nametoindex("lo");
  if (lo == 0)
  {
    BOOST_TEST_MESSAGE("no loopback interface named lo; skipped");
    return;
  }
  const address_v6 a = make_address_v6("fe80::1%lo");
  BOOST_TEST(a.scope_id() == lo);
  BOOST_TEST(a.to_string() == "fe80::1%lo");

  // The numeric form of the same interface prints as the name: it is the same address.
  const address_v6 b = make_address_v6("fe80::1%" + std::to_string(lo));
  BOOST_TEST((b == a));
  BOOST_TEST(b.to_string() == "fe80::1%lo");

  // Link-local multicast resolves names too.
  BOOST_TEST(make_address_v6("ff02::1%lo").scope_id() == lo);
}

BOOST_AUTO_TEST_CASE(scope_takes_part_in_comparisons)
{
  const address_v6 a1 = make_address_v6("fe80::1%1");
  const address_v6 a2 = make_address_v6("fe80::1%2");
  const address_v6 b0 = make_address_v6("fe80::2");
  BOOST_TEST((a1 != a2));
  BOOST_TEST((a1 < a2));
  BOOST_TEST((a2 > a1));
  // Bytes decide first, then the scope.
  BOOST_TEST((a2 < b0));
  BOOST_TEST((a1 == make_address_v6("fe80::1%1")));
  BOOST_TEST((a1 <= a1));
  BOOST_TEST((a1 >= a1));

  std::hash<address_v6> h;
  BOOST_TEST(h(a1) == h(make_address_v6("fe80::1%1")));
  BOOST_TEST(h(a1) != h(a2));
}

BOOST_AUTO_TEST_CASE(v4_mapped_conversions)
{
  const address_v4 v4 = make_address_v4("1.2.3.4");
  const address_v6 mapped = make_address_v6(blitz::ip::v4_mapped, v4);
  BOOST_TEST(mapped.to_string() == "::ffff:1.2.3.4");
  BOOST_TEST(mapped.is_v4_mapped());
  BOOST_TEST((make_address_v4(blitz::ip::v4_mapped, mapped) == v4));
  BOOST_TEST((address_v6::v4_mapped(v4) == mapped));
  BOOST_TEST((mapped.to_v4() == v4));

  BOOST_CHECK_THROW(make_address_v4(blitz::ip::v4_mapped, make_address_v6("::1")),
      blitz::ip::bad_address_cast);
  // v4-compatible is not v4-mapped for the modern conversion...
  const address_v6 compat = address_v6::v4_compatible(v4);
  BOOST_TEST(compat.to_string() == "::1.2.3.4");
  BOOST_CHECK_THROW(make_address_v4(blitz::ip::v4_mapped, compat), blitz::ip::bad_address_cast);
  // ...but the deprecated to_v4() accepts both, and nothing else.
  BOOST_TEST((compat.to_v4() == v4));
  BOOST_CHECK_THROW(make_address_v6("2001:db8::1").to_v4(), blitz::ip::bad_address_cast);
}

BOOST_AUTO_TEST_CASE(bad_address_cast_is_a_bad_cast)
{
  bool caught = false;
  try
  {
    make_address_v4(blitz::ip::v4_mapped, address_v6::loopback());
  }
  catch (const std::bad_cast& e)
  {
    caught = true;
    BOOST_TEST(std::string(e.what()) == "bad address cast");
  }
  BOOST_TEST(caught);
}

BOOST_AUTO_TEST_CASE(stream)
{
  BOOST_TEST(streamed(make_address_v6("2001:db8::5")) == "2001:db8::5");
  BOOST_TEST(streamed(make_address_v6("2001:db8::5%3")) == "2001:db8::5%3");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(either_version)

BOOST_AUTO_TEST_CASE(default_is_v4_any)
{
  const address a;
  BOOST_TEST(a.is_v4());
  BOOST_TEST(!a.is_v6());
  BOOST_TEST(a.to_string() == "0.0.0.0");
  BOOST_TEST(a.is_unspecified());
}

BOOST_AUTO_TEST_CASE(make_address_picks_the_version)
{
  const address a = make_address("10.1.2.3");
  BOOST_TEST(a.is_v4());
  BOOST_TEST((a.to_v4() == make_address_v4("10.1.2.3")));
  BOOST_TEST(a.to_string() == "10.1.2.3");

  const address b = make_address(std::string("fe80::1%4000000"));
  BOOST_TEST(b.is_v6());
  BOOST_TEST(b.to_v6().scope_id() == 4000000u);
  BOOST_TEST(b.to_string() == "fe80::1%4000000");

  const address mapped = make_address("::ffff:1.2.3.4");
  BOOST_TEST(mapped.is_v6());

  BOOST_TEST((address::from_string("::1") == address(address_v6::loopback())));

  error_code ec = blitz::error::eof;
  BOOST_TEST(make_address("::1", ec).is_loopback());
  BOOST_TEST(!ec);
  ec = blitz::error::eof;
  BOOST_TEST(make_address("127.0.0.1", ec).is_loopback());
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(invalid_input_sets_invalid_argument)
{
  const char* bad[] = {"", "1.2.3", "not an address", "::1::", "fe80::1%", "1.2.3.4%1"};
  for (const char* text : bad)
  {
    BOOST_TEST_CONTEXT("input \"" << text << "\"")
    {
      error_code ec;
      const address a = make_address(text, ec);
      BOOST_TEST((ec == blitz::error::invalid_argument));
      BOOST_TEST((a == address()));
      BOOST_CHECK_EXCEPTION(make_address(text), boost::system::system_error, is_invalid_argument);
      BOOST_CHECK_EXCEPTION(
          make_address(std::string(text)), boost::system::system_error, is_invalid_argument);
    }
  }
  error_code ec;
  make_address(with_nul, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));
}

BOOST_AUTO_TEST_CASE(wrong_version_throws_bad_address_cast)
{
  BOOST_CHECK_THROW(make_address("1.2.3.4").to_v6(), blitz::ip::bad_address_cast);
  BOOST_CHECK_THROW(make_address("::1").to_v4(), blitz::ip::bad_address_cast);
  BOOST_CHECK_THROW(make_address("::1").to_v4(), std::bad_cast);
}

BOOST_AUTO_TEST_CASE(assignment_switches_version)
{
  address a = make_address_v4("1.2.3.4");
  BOOST_TEST(a.is_v4());
  a = address_v6::loopback();
  BOOST_TEST(a.is_v6());
  BOOST_TEST(a.to_string() == "::1");
  a = address_v4::loopback();
  BOOST_TEST(a.is_v4());
  BOOST_TEST(a.to_string() == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(classification_forwards)
{
  BOOST_TEST(make_address("127.0.0.1").is_loopback());
  BOOST_TEST(make_address("::1").is_loopback());
  BOOST_TEST(!make_address("::2").is_loopback());
  BOOST_TEST(make_address("::").is_unspecified());
  BOOST_TEST(make_address("224.0.0.251").is_multicast());
  BOOST_TEST(make_address("ff02::fb").is_multicast());
  BOOST_TEST(!make_address("10.0.0.1").is_multicast());
}

BOOST_AUTO_TEST_CASE(ordering_puts_v4_first)
{
  const address v4_high = make_address("255.255.255.255");
  const address v6_low = make_address("::");
  BOOST_TEST((v4_high < v6_low));
  BOOST_TEST((v6_low > v4_high));
  // Same bytes, different versions, are different addresses.
  BOOST_TEST((make_address("1.2.3.4") != make_address("::ffff:1.2.3.4")));

  std::vector<address> v = {make_address("::1"), make_address("10.0.0.10"),
      make_address("10.0.0.2"), make_address("2001:db8::1")};
  std::sort(v.begin(), v.end());
  BOOST_TEST(v[0].to_string() == "10.0.0.2");
  BOOST_TEST(v[1].to_string() == "10.0.0.10");
  BOOST_TEST(v[2].to_string() == "::1");
  BOOST_TEST(v[3].to_string() == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(stream_and_hash)
{
  BOOST_TEST(streamed(make_address("1.2.3.4")) == "1.2.3.4");
  BOOST_TEST(streamed(make_address("::1")) == "::1");

  std::unordered_set<address> set;
  set.insert(make_address("1.2.3.4"));
  set.insert(make_address("1.2.3.4"));
  set.insert(make_address("::ffff:1.2.3.4"));
  BOOST_TEST(set.size() == 2u);
  BOOST_TEST(set.count(make_address("1.2.3.4")) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(endpoints)

BOOST_AUTO_TEST_CASE(default_is_v4_any_port_zero)
{
  const endpoint ep;
  BOOST_TEST(ep.address().is_v4());
  BOOST_TEST(ep.address().is_unspecified());
  BOOST_TEST(ep.port() == 0u);
  BOOST_TEST(ep.size() == sizeof(sockaddr_in));
  BOOST_TEST(ep.data()->sa_family == AF_INET);
  BOOST_TEST((ep.protocol() == test_protocol::v4()));
}

BOOST_AUTO_TEST_CASE(from_protocol_and_port)
{
  const endpoint ep(test_protocol::v6(), 8080);
  BOOST_TEST(ep.address().is_v6());
  BOOST_TEST(ep.address().is_unspecified());
  BOOST_TEST(ep.port() == 8080u);
  BOOST_TEST((ep.protocol() == test_protocol::v6()));
  BOOST_TEST(ep.size() == sizeof(sockaddr_in6));

  sockaddr_in6 raw;
  std::memcpy(&raw, ep.data(), sizeof(raw));
  BOOST_TEST(raw.sin6_family == AF_INET6);
  const unsigned char* port = reinterpret_cast<const unsigned char*>(&raw.sin6_port);
  BOOST_TEST(port[0] == 0x1Fu); // 8080 == 0x1F90, big-endian on the wire
  BOOST_TEST(port[1] == 0x90u);
  BOOST_TEST(raw.sin6_scope_id == 0u);
  BOOST_TEST(raw.sin6_flowinfo == 0u);

  const endpoint ep4(test_protocol::v4(), 443);
  BOOST_TEST(ep4.size() == sizeof(sockaddr_in));
  BOOST_TEST((ep4.protocol() == test_protocol::v4()));
  BOOST_TEST(ep4.port() == 443u);
}

BOOST_AUTO_TEST_CASE(from_address_and_port_writes_a_real_sockaddr)
{
  const endpoint ep(make_address("192.168.1.10"), 258);
  sockaddr_in raw;
  BOOST_TEST(ep.size() == sizeof(raw));
  std::memcpy(&raw, ep.data(), sizeof(raw));
  BOOST_TEST(raw.sin_family == AF_INET);
  BOOST_TEST(ntohs(raw.sin_port) == 258u);
  const unsigned char* addr = reinterpret_cast<const unsigned char*>(&raw.sin_addr);
  BOOST_TEST(addr[0] == 192u);
  BOOST_TEST(addr[1] == 168u);
  BOOST_TEST(addr[2] == 1u);
  BOOST_TEST(addr[3] == 10u);
  char text[INET_ADDRSTRLEN];
  BOOST_TEST(std::string(::inet_ntop(AF_INET, &raw.sin_addr, text, sizeof(text))) == "192.168.1.10");

  const endpoint ep6(make_address("2001:db8::7%5"), 65535);
  sockaddr_in6 raw6;
  std::memcpy(&raw6, ep6.data(), sizeof(raw6));
  BOOST_TEST(raw6.sin6_family == AF_INET6);
  BOOST_TEST(ntohs(raw6.sin6_port) == 65535u);
  BOOST_TEST(raw6.sin6_scope_id == 5u);
  char text6[INET6_ADDRSTRLEN];
  BOOST_TEST(std::string(::inet_ntop(AF_INET6, &raw6.sin6_addr, text6, sizeof(text6))) == "2001:db8::7");
  BOOST_TEST(ep6.address().to_v6().scope_id() == 5u);
}

BOOST_AUTO_TEST_CASE(versioned_addresses_convert_implicitly)
{
  const endpoint a(address_v4::loopback(), 80);
  BOOST_TEST(a.address().to_string() == "127.0.0.1");
  const endpoint b(address_v6::loopback(), 80);
  BOOST_TEST(b.address().to_string() == "::1");
}

BOOST_AUTO_TEST_CASE(setters)
{
  endpoint ep(make_address("10.0.0.1"), 80);
  ep.port(8443);
  BOOST_TEST(ep.port() == 8443u);
  BOOST_TEST(ep.address().to_string() == "10.0.0.1");

  // Switching family keeps the port and changes the size.
  ep.address(make_address("::1"));
  BOOST_TEST(ep.address().is_v6());
  BOOST_TEST(ep.port() == 8443u);
  BOOST_TEST(ep.size() == sizeof(sockaddr_in6));
  ep.port(1);
  BOOST_TEST(ep.port() == 1u);

  ep.address(make_address("10.0.0.2"));
  BOOST_TEST(ep.address().to_string() == "10.0.0.2");
  BOOST_TEST(ep.size() == sizeof(sockaddr_in));
  BOOST_TEST(ep.port() == 1u);
}

BOOST_AUTO_TEST_CASE(switching_family_leaves_no_stale_bytes)
{
  // sockaddr_in's address overlays sockaddr_in6's flowinfo...
  endpoint ep(make_address("1.2.3.4"), 80);
  ep.address(make_address("::1"));
  sockaddr_in6 raw6;
  std::memcpy(&raw6, ep.data(), sizeof(raw6));
  BOOST_TEST(raw6.sin6_flowinfo == 0u);

  // ...and sockaddr_in's padding overlays the IPv6 address bytes.
  endpoint ep2(make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%9"), 80);
  ep2.address(make_address("5.6.7.8"));
  sockaddr_in raw4;
  std::memcpy(&raw4, ep2.data(), sizeof(raw4));
  const unsigned char zero[sizeof(raw4.sin_zero)] = {};
  BOOST_TEST(std::memcmp(raw4.sin_zero, zero, sizeof(zero)) == 0);
}

BOOST_AUTO_TEST_CASE(capacity_and_resize)
{
  endpoint ep;
  BOOST_TEST(ep.capacity() >= sizeof(sockaddr_in6));
  BOOST_CHECK_NO_THROW(ep.resize(sizeof(sockaddr_in)));
  BOOST_CHECK_NO_THROW(ep.resize(ep.capacity()));
  BOOST_CHECK_EXCEPTION(ep.resize(ep.capacity() + 1), boost::system::system_error, is_invalid_argument);
  BOOST_CHECK_EXCEPTION(ep.resize(sizeof(sockaddr_storage)), boost::system::system_error,
      is_invalid_argument);
}

BOOST_AUTO_TEST_CASE(filled_in_by_the_kernel)
{
  // What accept/getsockname do: write into data() up to capacity(), then resize().
  const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0)
  {
    BOOST_TEST_MESSAGE("no IPv6 sockets here; skipped");
    return;
  }
  const endpoint want(make_address("::1"), 0);
  const int bound = ::bind(fd, want.data(), static_cast<socklen_t>(want.size()));
  if (bound != 0)
  {
    ::close(fd);
    BOOST_TEST_MESSAGE("cannot bind ::1; skipped");
    return;
  }
  endpoint got(make_address("1.2.3.4"), 9);
  socklen_t len = static_cast<socklen_t>(got.capacity());
  BOOST_TEST(::getsockname(fd, got.data(), &len) == 0);
  got.resize(len);
  ::close(fd);
  BOOST_TEST(got.address().to_string() == "::1");
  BOOST_TEST(got.port() != 0u);
  BOOST_TEST(got.size() == sizeof(sockaddr_in6));
  BOOST_TEST((got.protocol() == test_protocol::v6()));
}

BOOST_AUTO_TEST_CASE(comparisons)
{
  const endpoint a(make_address("1.2.3.4"), 80);
  const endpoint b(make_address("1.2.3.4"), 81);
  const endpoint c(make_address("1.2.3.5"), 1);
  const endpoint d(make_address("::1"), 1);
  BOOST_TEST((a == endpoint(make_address("1.2.3.4"), 80)));
  BOOST_TEST((a != b));
  BOOST_TEST((a < b));
  BOOST_TEST((b < c)); // address before port
  BOOST_TEST((c < d)); // v4 before v6
  BOOST_TEST((d > a));
  BOOST_TEST((a <= a));
  BOOST_TEST((a >= a));
  BOOST_TEST(!(b <= a));
  BOOST_TEST((endpoint(make_address("fe80::1%1"), 1) != endpoint(make_address("fe80::1%2"), 1)));
}

BOOST_AUTO_TEST_CASE(stream_output)
{
  BOOST_TEST(streamed(endpoint(make_address("1.2.3.4"), 80)) == "1.2.3.4:80");
  BOOST_TEST(streamed(endpoint(make_address("::1"), 80)) == "[::1]:80");
  BOOST_TEST(streamed(endpoint(make_address("2001:db8::1%7"), 443)) == "[2001:db8::1%7]:443");
  BOOST_TEST(streamed(endpoint()) == "0.0.0.0:0");
  BOOST_TEST(streamed(endpoint(test_protocol::v6(), 65535)) == "[::]:65535");
}

BOOST_AUTO_TEST_CASE(hash)
{
  std::hash<endpoint> h;
  BOOST_TEST(h(endpoint(make_address("1.2.3.4"), 80)) == h(endpoint(make_address("1.2.3.4"), 80)));
  std::unordered_set<endpoint> set;
  set.insert(endpoint(make_address("1.2.3.4"), 80));
  set.insert(endpoint(make_address("1.2.3.4"), 81));
  set.insert(endpoint(make_address("1.2.3.4"), 80));
  BOOST_TEST(set.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// socket_base's option types, exercised against a real socket the way
// basic_socket::set_option / get_option drive them.
BOOST_AUTO_TEST_SUITE(socket_options)

namespace {

class socket_fd
{
public:
  socket_fd() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {}
  ~socket_fd()
  {
    if (fd_ >= 0)
      ::close(fd_);
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;

  template <typename Option>
  int set(const Option& opt)
  {
    const test_protocol p = test_protocol::v4();
    return ::setsockopt(
        fd_, opt.level(p), opt.name(p), opt.data(p), static_cast<socklen_t>(opt.size(p)));
  }

  template <typename Option>
  int get(Option& opt)
  {
    const test_protocol p = test_protocol::v4();
    socklen_t len = static_cast<socklen_t>(opt.size(p));
    const int r = ::getsockopt(fd_, opt.level(p), opt.name(p), opt.data(p), &len);
    if (r == 0)
      opt.resize(p, len);
    return r;
  }

  int fd() const { return fd_; }

private:
  int fd_;
};

} // namespace

using blitz::socket_base;

BOOST_AUTO_TEST_CASE(boolean_round_trip)
{
  socket_fd s;
  BOOST_TEST_REQUIRE(s.fd() >= 0);

  socket_base::reuse_address off;
  BOOST_TEST(s.get(off) == 0);
  BOOST_TEST(!off.value());

  BOOST_TEST(s.set(socket_base::reuse_address(true)) == 0);
  socket_base::reuse_address on;
  BOOST_TEST(s.get(on) == 0);
  BOOST_TEST(on.value());
  BOOST_TEST(static_cast<bool>(on));
  BOOST_TEST(!!on);

  BOOST_TEST(s.set(socket_base::keep_alive(true)) == 0);
  socket_base::keep_alive ka;
  BOOST_TEST(s.get(ka) == 0);
  BOOST_TEST(ka.value());
  ka = false;
  BOOST_TEST(s.set(ka) == 0);
  socket_base::keep_alive ka2(true);
  BOOST_TEST(s.get(ka2) == 0);
  BOOST_TEST(!ka2.value());

  BOOST_TEST(s.set(blitz::ip::detail::no_delay_option(true)) == 0);
  blitz::ip::detail::no_delay_option nd;
  BOOST_TEST(s.get(nd) == 0);
  BOOST_TEST(nd.value());
}

BOOST_AUTO_TEST_CASE(boolean_semantics)
{
  socket_base::broadcast b;
  const test_protocol p = test_protocol::v4();
  BOOST_TEST(b.level(p) == SOL_SOCKET);
  BOOST_TEST(b.name(p) == SO_BROADCAST);
  BOOST_TEST(b.size(p) == sizeof(int));
  BOOST_TEST(!b.value());
  BOOST_TEST(!b);

  // A kernel may answer with any non-zero value for "on".
  *b.data(p) = 4;
  BOOST_TEST(b.value());
  BOOST_TEST(!(!b));
  bool implicit = b;
  BOOST_TEST(implicit);

  // Assigning stores the canonical 1 that setsockopt is given.
  b = true;
  BOOST_TEST(*b.data(p) == 1);
  const socket_base::broadcast cb(true);
  BOOST_TEST(*cb.data(p) == 1);

  // A one-byte answer: only the first byte counts, whatever the rest held before.
  socket_base::debug d;
  *d.data(p) = -1; // all bits set
  *reinterpret_cast<unsigned char*>(d.data(p)) = 0;
  d.resize(p, 1);
  BOOST_TEST(!d.value());
  *reinterpret_cast<unsigned char*>(d.data(p)) = 1;
  d.resize(p, 1);
  BOOST_TEST(d.value());
  BOOST_TEST(*d.data(p) == 1);

  BOOST_CHECK_THROW(d.resize(p, 2), std::length_error);
  BOOST_CHECK_THROW(d.resize(p, 8), std::length_error);
  BOOST_CHECK_NO_THROW(d.resize(p, sizeof(int)));
}

BOOST_AUTO_TEST_CASE(integer_options)
{
  socket_fd s;
  BOOST_TEST_REQUIRE(s.fd() >= 0);
  const test_protocol p = test_protocol::v4();

  socket_base::receive_buffer_size rb(65536);
  BOOST_TEST(rb.value() == 65536);
  BOOST_TEST(rb.level(p) == SOL_SOCKET);
  BOOST_TEST(rb.name(p) == SO_RCVBUF);
  BOOST_TEST(s.set(rb) == 0);
  socket_base::receive_buffer_size got;
  BOOST_TEST(s.get(got) == 0);
  BOOST_TEST(got.value() >= 65536); // Linux doubles it for bookkeeping

  socket_base::send_buffer_size sb;
  BOOST_TEST(sb.name(p) == SO_SNDBUF);
  sb = 1234;
  BOOST_TEST(sb.value() == 1234);
  BOOST_TEST(socket_base::send_low_watermark().name(p) == SO_SNDLOWAT);
  BOOST_TEST(socket_base::receive_low_watermark().name(p) == SO_RCVLOWAT);

  BOOST_CHECK_THROW(sb.resize(p, 1), std::length_error);
  BOOST_CHECK_NO_THROW(sb.resize(p, sizeof(int)));
}

BOOST_AUTO_TEST_CASE(linger_option)
{
  socket_fd s;
  BOOST_TEST_REQUIRE(s.fd() >= 0);
  const test_protocol p = test_protocol::v4();

  socket_base::linger l;
  BOOST_TEST(!l.enabled());
  BOOST_TEST(l.timeout() == 0);
  BOOST_TEST(l.level(p) == SOL_SOCKET);
  BOOST_TEST(l.name(p) == SO_LINGER);
  BOOST_TEST(l.size(p) == sizeof(::linger));

  BOOST_TEST(s.set(socket_base::linger(true, 5)) == 0);
  BOOST_TEST(s.get(l) == 0);
  BOOST_TEST(l.enabled());
  BOOST_TEST(l.timeout() == 5);

  l.enabled(false);
  l.timeout(0);
  BOOST_TEST(!l.enabled());
  BOOST_TEST(l.data(p)->l_onoff == 0);
  BOOST_CHECK_THROW(l.resize(p, 4), std::length_error);
}

BOOST_AUTO_TEST_CASE(other_option_names)
{
  const test_protocol p = test_protocol::v4();
  BOOST_TEST(socket_base::debug().name(p) == SO_DEBUG);
  BOOST_TEST(socket_base::do_not_route().name(p) == SO_DONTROUTE);
  BOOST_TEST(socket_base::keep_alive().name(p) == SO_KEEPALIVE);
  BOOST_TEST(socket_base::reuse_address().name(p) == SO_REUSEADDR);
  BOOST_TEST(socket_base::out_of_band_inline().name(p) == SO_OOBINLINE);
  BOOST_TEST(blitz::ip::detail::no_delay_option().level(p) == IPPROTO_TCP);
  BOOST_TEST(blitz::ip::detail::no_delay_option().name(p) == TCP_NODELAY);
}

BOOST_AUTO_TEST_CASE(enable_connection_aborted_is_a_library_option)
{
  using blitz::detail::socket_option::is_library_option;
  using option = socket_base::enable_connection_aborted;
  const test_protocol p = test_protocol::v4();

  BOOST_TEST(is_library_option<option>::value);
  BOOST_TEST(option::library_option); // odr-use: must link in C++14
  BOOST_TEST(!is_library_option<socket_base::reuse_address>::value);
  BOOST_TEST(!is_library_option<socket_base::linger>::value);

  option o;
  BOOST_TEST(!o.value());
  o = true;
  BOOST_TEST(o.value());
  BOOST_TEST(static_cast<bool>(option(true)));
  BOOST_TEST(!option(false));
  BOOST_TEST(o.level(p) == blitz::detail::custom_socket_option_level);
  BOOST_TEST(o.name(p) == blitz::detail::enable_connection_aborted_option);
  BOOST_TEST(*o.data(p));
  BOOST_TEST(o.size(p) == sizeof(bool));
  BOOST_CHECK_THROW(o.resize(p, sizeof(int) + 1), std::length_error);

  // Its level is unknown to the kernel, so a leak to setsockopt fails instead of acting.
  socket_fd s;
  BOOST_TEST_REQUIRE(s.fd() >= 0);
  BOOST_TEST(s.set(o) == -1);
}

BOOST_AUTO_TEST_CASE(enums_and_flags)
{
  BOOST_TEST(socket_base::shutdown_receive == SHUT_RD);
  BOOST_TEST(socket_base::shutdown_send == SHUT_WR);
  BOOST_TEST(socket_base::shutdown_both == SHUT_RDWR);
  BOOST_TEST(socket_base::message_peek == MSG_PEEK);
  BOOST_TEST(socket_base::message_out_of_band == MSG_OOB);
  BOOST_TEST(socket_base::message_do_not_route == MSG_DONTROUTE);
  BOOST_TEST(socket_base::message_end_of_record == MSG_EOR);
  BOOST_TEST(socket_base::max_listen_connections == SOMAXCONN);
  BOOST_TEST(socket_base::max_connections == SOMAXCONN);
  BOOST_TEST(socket_base::wait_read != socket_base::wait_write);
  BOOST_TEST(socket_base::wait_write != socket_base::wait_error);

  // Binding the constants to references (odr-use) must link.
  const int backlog = std::max(1, socket_base::max_listen_connections);
  BOOST_TEST(backlog == SOMAXCONN);
  socket_base::message_flags flags = socket_base::message_peek | socket_base::message_out_of_band;
  BOOST_TEST(flags == (MSG_PEEK | MSG_OOB));
}

BOOST_AUTO_TEST_SUITE_END()
