// ip::tcp: the TCP protocol and its socket, acceptor, endpoint and resolver types.
#ifndef BLITZ_IP_TCP_HPP
#define BLITZ_IP_TCP_HPP

#include <blitz/basic_socket_acceptor.hpp>
#include <blitz/basic_stream_socket.hpp>
#include <blitz/detail/socket_option.hpp>
#include <blitz/ip/basic_endpoint.hpp>
#include <blitz/ip/basic_resolver.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace blitz {
namespace ip {

class tcp
{
public:
  using endpoint = basic_endpoint<tcp>;
  using socket = basic_stream_socket<tcp>;
  using acceptor = basic_socket_acceptor<tcp>;
  using resolver = basic_resolver<tcp>;
  using no_delay = detail::no_delay_option;

  static tcp v4() noexcept { return tcp(AF_INET); }
  static tcp v6() noexcept { return tcp(AF_INET6); }

  int type() const noexcept { return SOCK_STREAM; }
  int protocol() const noexcept { return IPPROTO_TCP; }
  int family() const noexcept { return family_; }

  friend bool operator==(const tcp& a, const tcp& b) noexcept { return a.family_ == b.family_; }
  friend bool operator!=(const tcp& a, const tcp& b) noexcept { return a.family_ != b.family_; }

private:
  explicit tcp(int family) noexcept : family_(family) {}
  int family_;
};

} // namespace ip
} // namespace blitz

#endif
