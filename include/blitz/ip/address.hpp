// An IP address of either version: what endpoints, resolvers and make_address() deal in.
//
// Both alternatives are stored side by side rather than in a union, as in Asio: it costs
// four bytes, keeps the type trivially copyable, and the unused member is always the
// default address, so the defaulted copy operations are correct.
#ifndef BLITZ_IP_ADDRESS_HPP
#define BLITZ_IP_ADDRESS_HPP

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/ip/address_v4.hpp>
#include <blitz/ip/address_v6.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

namespace blitz {
namespace ip {

class address
{
public:
  // 0.0.0.0, as in Asio.
  address() noexcept : type_(ipv4), v4_(), v6_() {}

  // Implicit, so that an address_v4 or address_v6 can be passed wherever an address is
  // expected (endpoint constructors, comparisons).
  address(const address_v4& v4) noexcept : type_(ipv4), v4_(v4), v6_() {}
  address(const address_v6& v6) noexcept : type_(ipv6), v4_(), v6_(v6) {}

  address& operator=(const address_v4& v4) noexcept
  {
    *this = address(v4);
    return *this;
  }

  address& operator=(const address_v6& v6) noexcept
  {
    *this = address(v6);
    return *this;
  }

  bool is_v4() const noexcept { return type_ == ipv4; }
  bool is_v6() const noexcept { return type_ == ipv6; }

  address_v4 to_v4() const
  {
    if (type_ != ipv4)
      throw bad_address_cast();
    return v4_;
  }

  address_v6 to_v6() const
  {
    if (type_ != ipv6)
      throw bad_address_cast();
    return v6_;
  }

  std::string to_string() const { return is_v4() ? v4_.to_string() : v6_.to_string(); }

  std::string to_string(boost::system::error_code& ec) const
  {
    return is_v4() ? v4_.to_string(ec) : v6_.to_string(ec);
  }

  // Deprecated in Asio in favour of make_address().
  static address from_string(const char* str);
  static address from_string(const char* str, boost::system::error_code& ec) noexcept;
  static address from_string(const std::string& str);
  static address from_string(const std::string& str, boost::system::error_code& ec) noexcept;

  bool is_loopback() const noexcept { return is_v4() ? v4_.is_loopback() : v6_.is_loopback(); }

  bool is_unspecified() const noexcept
  {
    return is_v4() ? v4_.is_unspecified() : v6_.is_unspecified();
  }

  bool is_multicast() const noexcept { return is_v4() ? v4_.is_multicast() : v6_.is_multicast(); }

  friend bool operator==(const address& a, const address& b) noexcept
  {
    if (a.type_ != b.type_)
      return false;
    return a.is_v4() ? a.v4_ == b.v4_ : a.v6_ == b.v6_;
  }
  friend bool operator!=(const address& a, const address& b) noexcept { return !(a == b); }

  // Every IPv4 address orders before every IPv6 address (including v4-mapped ones).
  friend bool operator<(const address& a, const address& b) noexcept
  {
    if (a.type_ != b.type_)
      return a.type_ < b.type_;
    return a.is_v4() ? a.v4_ < b.v4_ : a.v6_ < b.v6_;
  }
  friend bool operator>(const address& a, const address& b) noexcept { return b < a; }
  friend bool operator<=(const address& a, const address& b) noexcept { return !(b < a); }
  friend bool operator>=(const address& a, const address& b) noexcept { return !(a < b); }

private:
  enum family_type
  {
    ipv4,
    ipv6
  };

  family_type type_;
  address_v4 v4_;
  address_v6 v6_;
};

// Accepts either version's text form; a v4-mapped IPv6 text ("::ffff:1.2.3.4") stays IPv6.
inline address make_address(const char* str, boost::system::error_code& ec) noexcept
{
  const address_v6 v6 = make_address_v6(str, ec);
  if (!ec)
    return address(v6);
  const address_v4 v4 = make_address_v4(str, ec);
  if (!ec)
    return address(v4);
  return address();
}

inline address make_address(const char* str)
{
  boost::system::error_code ec;
  address addr = make_address(str, ec);
  blitz::detail::throw_error(ec, "make_address");
  return addr;
}

inline address make_address(const std::string& str, boost::system::error_code& ec) noexcept
{
  if (str.find('\0') != std::string::npos)
  {
    ec = blitz::error::invalid_argument;
    return address();
  }
  return make_address(str.c_str(), ec);
}

inline address make_address(const std::string& str)
{
  boost::system::error_code ec;
  address addr = make_address(str, ec);
  blitz::detail::throw_error(ec, "make_address");
  return addr;
}

inline address address::from_string(const char* str)
{
  return make_address(str);
}

inline address address::from_string(const char* str, boost::system::error_code& ec) noexcept
{
  return make_address(str, ec);
}

inline address address::from_string(const std::string& str)
{
  return make_address(str);
}

inline address address::from_string(
    const std::string& str, boost::system::error_code& ec) noexcept
{
  return make_address(str, ec);
}

template <typename Elem, typename Traits>
std::basic_ostream<Elem, Traits>& operator<<(
    std::basic_ostream<Elem, Traits>& os, const address& addr)
{
  return os << addr.to_string().c_str();
}

} // namespace ip
} // namespace blitz

namespace std {

template <>
struct hash<blitz::ip::address>
{
  std::size_t operator()(const blitz::ip::address& addr) const noexcept
  {
    return addr.is_v4() ? std::hash<blitz::ip::address_v4>()(addr.to_v4())
                        : std::hash<blitz::ip::address_v6>()(addr.to_v6());
  }
};

} // namespace std

#endif
