// ip::udp: the UDP protocol and its socket, endpoint and resolver types.
#ifndef BLITZ_IP_UDP_HPP
#define BLITZ_IP_UDP_HPP

#include <blitz/basic_datagram_socket.hpp>
#include <blitz/ip/basic_endpoint.hpp>
#include <blitz/ip/basic_resolver.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

namespace blitz {
namespace ip {

class udp
{
public:
  using endpoint = basic_endpoint<udp>;
  using socket = basic_datagram_socket<udp>;
  using resolver = basic_resolver<udp>;

  static udp v4() noexcept { return udp(AF_INET); }
  static udp v6() noexcept { return udp(AF_INET6); }

  int type() const noexcept { return SOCK_DGRAM; }
  int protocol() const noexcept { return IPPROTO_UDP; }
  int family() const noexcept { return family_; }

  friend bool operator==(const udp& a, const udp& b) noexcept { return a.family_ == b.family_; }
  friend bool operator!=(const udp& a, const udp& b) noexcept { return a.family_ != b.family_; }

private:
  explicit udp(int family) noexcept : family_(family) {}
  int family_;
};

} // namespace ip
} // namespace blitz

#endif
