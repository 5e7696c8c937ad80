// An IPv6 address with its scope id (the interface a link-local address belongs to), plus
// the IPv4-mapped conversions and bad_address_cast, the exception every failed address
// conversion throws.
//
// Text form: RFC 4291 as inet_pton/inet_ntop handle it, with an optional RFC 4007 zone
// suffix: "fe80::1%eth0" or "fe80::1%2". Names are resolved with if_nametoindex() only for
// link-local unicast and multicast addresses, the scopes where interface names are
// meaningful; elsewhere the zone must be a number. This follows glibc's getaddrinfo().
#ifndef BLITZ_IP_ADDRESS_V6_HPP
#define BLITZ_IP_ADDRESS_V6_HPP

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/ip/address_v4.hpp>

#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <typeinfo>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

namespace blitz {
namespace ip {

using scope_id_type = uint_least32_t;

// Thrown by to_v4()/to_v6() and the v4-mapped conversions when the address is of the
// other kind. Derives from std::bad_cast, as in Asio, so existing catch clauses still match.
class bad_address_cast : public std::bad_cast
{
public:
  bad_address_cast() noexcept {}
  const char* what() const noexcept override { return "bad address cast"; }
};

namespace detail {

inline bool has_link_scope(const unsigned char* b) noexcept
{
  const bool link_local_unicast = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  const bool link_local_multicast = b[0] == 0xff && (b[1] & 0x0f) == 0x02;
  return link_local_unicast || link_local_multicast;
}

// A zone suffix that is neither a known interface nor a plain 32-bit decimal number is an
// error. (Asio reads it with atoi() and silently turns garbage into scope 0, which would
// make "fe80::1%typo" mean "no interface" instead of failing.)
inline bool parse_scope_id(const char* zone, bool link_scope, scope_id_type& out) noexcept
{
  if (*zone == '\0')
    return false;
  if (link_scope)
  {
    const unsigned index = ::if_nametoindex(zone);
    if (index != 0)
    {
      out = static_cast<scope_id_type>(index);
      return true;
    }
  }
  std::uint_fast64_t value = 0;
  for (const char* p = zone; *p != '\0'; ++p)
  {
    if (*p < '0' || *p > '9')
      return false;
    value = value * 10 + static_cast<unsigned>(*p - '0');
    if (value > 0xFFFFFFFFu)
      return false;
  }
  out = static_cast<scope_id_type>(value);
  return true;
}

} // namespace detail

class address_v6
{
public:
  using bytes_type = std::array<unsigned char, 16>;

  // :: with scope 0
  address_v6() noexcept : bytes_(), scope_id_(0) {}

  explicit address_v6(const bytes_type& bytes, scope_id_type scope_id = 0) noexcept
    : bytes_(bytes),
      scope_id_(scope_id)
  {
  }

  scope_id_type scope_id() const noexcept { return scope_id_; }
  void scope_id(scope_id_type id) noexcept { scope_id_ = id; }

  bytes_type to_bytes() const noexcept { return bytes_; }

  std::string to_string() const
  {
    boost::system::error_code ec;
    std::string s = to_string(ec);
    blitz::detail::throw_error(ec, "address_v6::to_string");
    return s;
  }

  // A link-scoped address prints its interface name when the interface exists, so that
  // the text round-trips on this host; otherwise the zone is printed as a number.
  std::string to_string(boost::system::error_code& ec) const
  {
    char text[INET6_ADDRSTRLEN];
    if (::inet_ntop(AF_INET6, bytes_.data(), text, sizeof(text)) == nullptr)
    {
      ec = blitz::error::invalid_argument;
      return std::string();
    }
    ec.clear();
    std::string result(text);
    if (scope_id_ != 0)
    {
      char name[IF_NAMESIZE];
      result += '%';
      if (detail::has_link_scope(bytes_.data()) && ::if_indextoname(scope_id_, name) != nullptr)
        result += name;
      else
        result += std::to_string(static_cast<unsigned long>(scope_id_));
    }
    return result;
  }

  // Deprecated in Asio in favour of make_address_v6().
  static address_v6 from_string(const char* str);
  static address_v6 from_string(const char* str, boost::system::error_code& ec) noexcept;
  static address_v6 from_string(const std::string& str);
  static address_v6 from_string(const std::string& str, boost::system::error_code& ec) noexcept;

  // Deprecated in Asio in favour of make_address_v4(v4_mapped, ...). Accepts both
  // v4-mapped and the obsolete v4-compatible forms.
  address_v4 to_v4() const
  {
    if (!is_v4_mapped() && !is_v4_compatible())
      throw bad_address_cast();
    return address_v4(address_v4::bytes_type{{bytes_[12], bytes_[13], bytes_[14], bytes_[15]}});
  }

  bool is_loopback() const noexcept
  {
    return zero_prefix(15) && bytes_[15] == 1;
  }

  bool is_unspecified() const noexcept { return zero_prefix(16); }

  bool is_link_local() const noexcept { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }
  bool is_site_local() const noexcept { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0xc0; }

  // ::ffff:a.b.c.d
  bool is_v4_mapped() const noexcept
  {
    return zero_prefix(10) && bytes_[10] == 0xff && bytes_[11] == 0xff;
  }

  // ::a.b.c.d (RFC 4291 deprecated it); :: and ::1 are excluded as Asio does.
  bool is_v4_compatible() const noexcept
  {
    return zero_prefix(12) && !(zero_prefix(15) && (bytes_[15] == 0 || bytes_[15] == 1));
  }

  bool is_multicast() const noexcept { return bytes_[0] == 0xff; }
  bool is_multicast_global() const noexcept { return is_multicast_scope(0x0e); }
  bool is_multicast_link_local() const noexcept { return is_multicast_scope(0x02); }
  bool is_multicast_node_local() const noexcept { return is_multicast_scope(0x01); }
  bool is_multicast_org_local() const noexcept { return is_multicast_scope(0x08); }
  bool is_multicast_site_local() const noexcept { return is_multicast_scope(0x05); }

  static address_v6 any() noexcept { return address_v6(); }

  static address_v6 loopback() noexcept
  {
    bytes_type b = {};
    b[15] = 1;
    return address_v6(b);
  }

  // Deprecated in Asio in favour of make_address_v6(v4_mapped, ...).
  static address_v6 v4_mapped(const address_v4& addr) noexcept
  {
    const address_v4::bytes_type v4 = addr.to_bytes();
    return address_v6(bytes_type{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3]}});
  }

  // Deprecated in Asio (and by RFC 4291).
  static address_v6 v4_compatible(const address_v4& addr) noexcept
  {
    const address_v4::bytes_type v4 = addr.to_bytes();
    return address_v6(bytes_type{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, v4[0], v4[1], v4[2], v4[3]}});
  }

  // The scope id takes part in equality and ordering: fe80::1%1 and fe80::1%2 are
  // different hosts.
  friend bool operator==(const address_v6& a, const address_v6& b) noexcept
  {
    return a.bytes_ == b.bytes_ && a.scope_id_ == b.scope_id_;
  }
  friend bool operator!=(const address_v6& a, const address_v6& b) noexcept { return !(a == b); }
  friend bool operator<(const address_v6& a, const address_v6& b) noexcept
  {
    const int order = std::memcmp(a.bytes_.data(), b.bytes_.data(), a.bytes_.size());
    if (order != 0)
      return order < 0;
    return a.scope_id_ < b.scope_id_;
  }
  friend bool operator>(const address_v6& a, const address_v6& b) noexcept { return b < a; }
  friend bool operator<=(const address_v6& a, const address_v6& b) noexcept { return !(b < a); }
  friend bool operator>=(const address_v6& a, const address_v6& b) noexcept { return !(a < b); }

private:
  bool zero_prefix(std::size_t n) const noexcept
  {
    for (std::size_t i = 0; i < n; ++i)
      if (bytes_[i] != 0)
        return false;
    return true;
  }

  bool is_multicast_scope(int scope) const noexcept
  {
    return bytes_[0] == 0xff && (bytes_[1] & 0x0f) == scope;
  }

  bytes_type bytes_;
  scope_id_type scope_id_;
};

inline address_v6 make_address_v6(
    const address_v6::bytes_type& bytes, scope_id_type scope_id = 0) noexcept
{
  return address_v6(bytes, scope_id);
}

inline address_v6 make_address_v6(const char* str, boost::system::error_code& ec) noexcept
{
  if (str == nullptr)
  {
    ec = blitz::error::invalid_argument;
    return address_v6();
  }

  // inet_pton() knows nothing of zones, so the address part is copied out first.
  const char* zone = std::strchr(str, '%');
  char text[INET6_ADDRSTRLEN];
  const char* addr_text = str;
  if (zone != nullptr)
  {
    const std::size_t len = static_cast<std::size_t>(zone - str);
    if (len >= sizeof(text))
    {
      ec = blitz::error::invalid_argument;
      return address_v6();
    }
    std::memcpy(text, str, len);
    text[len] = '\0';
    addr_text = text;
  }

  address_v6::bytes_type bytes;
  scope_id_type scope_id = 0;
  if (::inet_pton(AF_INET6, addr_text, bytes.data()) != 1
      || (zone != nullptr
          && !detail::parse_scope_id(zone + 1, detail::has_link_scope(bytes.data()), scope_id)))
  {
    ec = blitz::error::invalid_argument;
    return address_v6();
  }
  ec.clear();
  return address_v6(bytes, scope_id);
}

inline address_v6 make_address_v6(const char* str)
{
  boost::system::error_code ec;
  address_v6 addr = make_address_v6(str, ec);
  blitz::detail::throw_error(ec, "make_address_v6");
  return addr;
}

// Embedded NULs are rejected for the reason given at make_address_v4(const std::string&).
inline address_v6 make_address_v6(const std::string& str, boost::system::error_code& ec) noexcept
{
  if (str.find('\0') != std::string::npos)
  {
    ec = blitz::error::invalid_argument;
    return address_v6();
  }
  return make_address_v6(str.c_str(), ec);
}

inline address_v6 make_address_v6(const std::string& str)
{
  boost::system::error_code ec;
  address_v6 addr = make_address_v6(str, ec);
  blitz::detail::throw_error(ec, "make_address_v6");
  return addr;
}

inline address_v6 address_v6::from_string(const char* str)
{
  return make_address_v6(str);
}

inline address_v6 address_v6::from_string(
    const char* str, boost::system::error_code& ec) noexcept
{
  return make_address_v6(str, ec);
}

inline address_v6 address_v6::from_string(const std::string& str)
{
  return make_address_v6(str);
}

inline address_v6 address_v6::from_string(
    const std::string& str, boost::system::error_code& ec) noexcept
{
  return make_address_v6(str, ec);
}

// Tag selecting the IPv4-mapped conversions: make_address_v6(v4_mapped, v4) and back.
enum v4_mapped_t
{
  v4_mapped
};

// Unlike the deprecated address_v6::to_v4(), only the ::ffff:0:0/96 form is accepted.
inline address_v4 make_address_v4(v4_mapped_t, const address_v6& v6_addr)
{
  if (!v6_addr.is_v4_mapped())
    throw bad_address_cast();
  const address_v6::bytes_type b = v6_addr.to_bytes();
  return address_v4(address_v4::bytes_type{{b[12], b[13], b[14], b[15]}});
}

inline address_v6 make_address_v6(v4_mapped_t, const address_v4& v4_addr) noexcept
{
  return address_v6::v4_mapped(v4_addr);
}

template <typename Elem, typename Traits>
std::basic_ostream<Elem, Traits>& operator<<(
    std::basic_ostream<Elem, Traits>& os, const address_v6& addr)
{
  return os << addr.to_string().c_str();
}

} // namespace ip
} // namespace blitz

namespace std {

template <>
struct hash<blitz::ip::address_v6>
{
  std::size_t operator()(const blitz::ip::address_v6& addr) const noexcept
  {
    const blitz::ip::address_v6::bytes_type b = addr.to_bytes();
    std::size_t seed = static_cast<std::size_t>(addr.scope_id());
    for (std::size_t i = 0; i < b.size(); i += 4)
    {
      const std::size_t word = (static_cast<std::size_t>(b[i]) << 24)
          | (static_cast<std::size_t>(b[i + 1]) << 16) | (static_cast<std::size_t>(b[i + 2]) << 8)
          | static_cast<std::size_t>(b[i + 3]);
      // The boost::hash_combine mixing step.
      seed ^= word + 0x9e3779b9 + (seed << 6) + (seed >> 2);
    }
    return seed;
  }
};

} // namespace std

#endif
