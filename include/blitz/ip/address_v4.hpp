// An IPv4 address.
//
// Stored as its four bytes in network order, which is both what sockaddr_in wants and what
// to_bytes() returns; to_uint() and the ordering operators work in host order, as in Asio,
// so that 10.0.0.2 < 10.0.0.10.
#ifndef BLITZ_IP_ADDRESS_V4_HPP
#define BLITZ_IP_ADDRESS_V4_HPP

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>

#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace blitz {
namespace ip {

class address_v4
{
public:
  using uint_type = uint_least32_t;
  using bytes_type = std::array<unsigned char, 4>;

  // uint_least32_t is exactly 32 bits everywhere this library runs; were it wider,
  // address_v4(uint_type) would need the range check that Asio performs.
  static_assert(std::numeric_limits<uint_type>::digits == 32, "uint_least32_t is not 32 bits");

  // 0.0.0.0
  address_v4() noexcept : bytes_() {}

  explicit address_v4(const bytes_type& bytes) noexcept : bytes_(bytes) {}

  explicit address_v4(uint_type addr) noexcept
    : bytes_{{static_cast<unsigned char>((addr >> 24) & 0xFF),
          static_cast<unsigned char>((addr >> 16) & 0xFF),
          static_cast<unsigned char>((addr >> 8) & 0xFF), static_cast<unsigned char>(addr & 0xFF)}}
  {
  }

  bytes_type to_bytes() const noexcept { return bytes_; }

  uint_type to_uint() const noexcept
  {
    return (static_cast<uint_type>(bytes_[0]) << 24) | (static_cast<uint_type>(bytes_[1]) << 16)
        | (static_cast<uint_type>(bytes_[2]) << 8) | static_cast<uint_type>(bytes_[3]);
  }

  // Deprecated in Asio in favour of to_uint().
  unsigned long to_ulong() const noexcept { return to_uint(); }

  std::string to_string() const
  {
    boost::system::error_code ec;
    std::string s = to_string(ec);
    blitz::detail::throw_error(ec, "address_v4::to_string");
    return s;
  }

  std::string to_string(boost::system::error_code& ec) const
  {
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, bytes_.data(), text, sizeof(text)) == nullptr)
    {
      ec = blitz::error::invalid_argument;
      return std::string();
    }
    ec.clear();
    return text;
  }

  // Deprecated in Asio in favour of make_address_v4().
  static address_v4 from_string(const char* str);
  static address_v4 from_string(const char* str, boost::system::error_code& ec) noexcept;
  static address_v4 from_string(const std::string& str);
  static address_v4 from_string(const std::string& str, boost::system::error_code& ec) noexcept;

  // 127.0.0.0/8
  bool is_loopback() const noexcept { return bytes_[0] == 127; }

  bool is_unspecified() const noexcept { return to_uint() == 0; }

  // 224.0.0.0/4
  bool is_multicast() const noexcept { return (bytes_[0] & 0xF0) == 0xE0; }

  static address_v4 any() noexcept { return address_v4(); }
  static address_v4 loopback() noexcept { return address_v4(0x7F000001u); }
  static address_v4 broadcast() noexcept { return address_v4(0xFFFFFFFFu); }

  friend bool operator==(const address_v4& a, const address_v4& b) noexcept
  {
    return a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const address_v4& a, const address_v4& b) noexcept { return !(a == b); }
  friend bool operator<(const address_v4& a, const address_v4& b) noexcept
  {
    return a.to_uint() < b.to_uint();
  }
  friend bool operator>(const address_v4& a, const address_v4& b) noexcept { return b < a; }
  friend bool operator<=(const address_v4& a, const address_v4& b) noexcept { return !(b < a); }
  friend bool operator>=(const address_v4& a, const address_v4& b) noexcept { return !(a < b); }

private:
  bytes_type bytes_;
};

inline address_v4 make_address_v4(const address_v4::bytes_type& bytes) noexcept
{
  return address_v4(bytes);
}

inline address_v4 make_address_v4(address_v4::uint_type addr) noexcept
{
  return address_v4(addr);
}

// Dotted-decimal only ("a.b.c.d"), as inet_pton accepts it: the shorthand forms that
// inet_aton allows ("127.1", "0x7f.1") are rejected, like in Asio.
inline address_v4 make_address_v4(const char* str, boost::system::error_code& ec) noexcept
{
  address_v4::bytes_type bytes;
  if (str == nullptr || ::inet_pton(AF_INET, str, bytes.data()) != 1)
  {
    ec = blitz::error::invalid_argument;
    return address_v4();
  }
  ec.clear();
  return address_v4(bytes);
}

inline address_v4 make_address_v4(const char* str)
{
  boost::system::error_code ec;
  address_v4 addr = make_address_v4(str, ec);
  blitz::detail::throw_error(ec, "make_address_v4");
  return addr;
}

// A std::string may hold an embedded NUL that c_str() would silently cut the text at
// ("1.2.3.4\0junk" is not an address), so such strings are rejected outright.
inline address_v4 make_address_v4(const std::string& str, boost::system::error_code& ec) noexcept
{
  if (str.find('\0') != std::string::npos)
  {
    ec = blitz::error::invalid_argument;
    return address_v4();
  }
  return make_address_v4(str.c_str(), ec);
}

inline address_v4 make_address_v4(const std::string& str)
{
  boost::system::error_code ec;
  address_v4 addr = make_address_v4(str, ec);
  blitz::detail::throw_error(ec, "make_address_v4");
  return addr;
}

inline address_v4 address_v4::from_string(const char* str)
{
  return make_address_v4(str);
}

inline address_v4 address_v4::from_string(
    const char* str, boost::system::error_code& ec) noexcept
{
  return make_address_v4(str, ec);
}

inline address_v4 address_v4::from_string(const std::string& str)
{
  return make_address_v4(str);
}

inline address_v4 address_v4::from_string(
    const std::string& str, boost::system::error_code& ec) noexcept
{
  return make_address_v4(str, ec);
}

template <typename Elem, typename Traits>
std::basic_ostream<Elem, Traits>& operator<<(
    std::basic_ostream<Elem, Traits>& os, const address_v4& addr)
{
  return os << addr.to_string().c_str();
}

} // namespace ip
} // namespace blitz

namespace std {

template <>
struct hash<blitz::ip::address_v4>
{
  std::size_t operator()(const blitz::ip::address_v4& addr) const noexcept
  {
    return std::hash<unsigned int>()(addr.to_uint());
  }
};

} // namespace std

#endif
