// ip::basic_endpoint<InternetProtocol>: an address and a port, as ip::tcp::endpoint and
// ip::udp::endpoint. All the work is done by the non-template ip::detail::endpoint; the
// protocol parameter only fixes the endpoint's type (a tcp endpoint is not a udp one)
// and what protocol() returns.
//
// InternetProtocol must provide static v4() and v6() and a family() member.
#ifndef BLITZ_IP_BASIC_ENDPOINT_HPP
#define BLITZ_IP_BASIC_ENDPOINT_HPP

#include <blitz/ip/address.hpp>
#include <blitz/ip/detail/endpoint.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>

#include <sys/socket.h>

namespace blitz {
namespace ip {

using port_type = uint_least16_t;

template <typename InternetProtocol>
class basic_endpoint
{
public:
  using protocol_type = InternetProtocol;
  // What data() points at, for passing to bind(), connect(), accept() and friends.
  using data_type = sockaddr;

  // 0.0.0.0:0
  basic_endpoint() noexcept : impl_() {}

  // The "any" address of the protocol's family, for binding a listener:
  // `tcp::endpoint(tcp::v6(), 8080)`.
  basic_endpoint(const InternetProtocol& internet_protocol, port_type port_num) noexcept
    : impl_(internet_protocol.family(), port_num)
  {
  }

  basic_endpoint(const ip::address& addr, port_type port_num) noexcept : impl_(addr, port_num) {}

  protocol_type protocol() const noexcept
  {
    return impl_.is_v4() ? InternetProtocol::v4() : InternetProtocol::v6();
  }

  data_type* data() noexcept { return impl_.data(); }
  const data_type* data() const noexcept { return impl_.data(); }

  std::size_t size() const noexcept { return impl_.size(); }

  // Throws system_error(invalid_argument) if new_size exceeds capacity().
  void resize(std::size_t new_size) { impl_.resize(new_size); }

  std::size_t capacity() const noexcept { return impl_.capacity(); }

  // In host byte order; the conversion to and from network order happens inside.
  port_type port() const noexcept { return impl_.port(); }
  void port(port_type port_num) noexcept { impl_.port(port_num); }

  ip::address address() const noexcept { return impl_.address(); }
  void address(const ip::address& addr) noexcept { impl_.address(addr); }

  friend bool operator==(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return a.impl_ == b.impl_;
  }
  friend bool operator!=(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return !(a == b);
  }
  friend bool operator<(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return a.impl_ < b.impl_;
  }
  friend bool operator>(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return b.impl_ < a.impl_;
  }
  friend bool operator<=(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return !(b < a);
  }
  friend bool operator>=(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return !(a < b);
  }

private:
  ip::detail::endpoint impl_;
};

// "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80".
template <typename Elem, typename Traits, typename InternetProtocol>
std::basic_ostream<Elem, Traits>& operator<<(
    std::basic_ostream<Elem, Traits>& os, const basic_endpoint<InternetProtocol>& endpoint)
{
  const ip::detail::endpoint impl(endpoint.address(), endpoint.port());
  return os << impl.to_string().c_str();
}

} // namespace ip
} // namespace blitz

namespace std {

template <typename InternetProtocol>
struct hash<blitz::ip::basic_endpoint<InternetProtocol>>
{
  std::size_t operator()(const blitz::ip::basic_endpoint<InternetProtocol>& ep) const noexcept
  {
    const std::size_t h = std::hash<blitz::ip::address>()(ep.address());
    return h ^ (static_cast<std::size_t>(ep.port()) + 0x9e3779b9 + (h << 6) + (h >> 2));
  }
};

} // namespace std

#endif
