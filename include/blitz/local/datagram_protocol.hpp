// local::datagram_protocol: message-oriented UNIX-domain sockets (AF_UNIX, SOCK_DGRAM).
// Reliable and ordered on Linux, unlike UDP; a receiver sees an unbound sender as the
// unnamed endpoint (empty path), to which nothing can be sent back.
#ifndef BLITZ_LOCAL_DATAGRAM_PROTOCOL_HPP
#define BLITZ_LOCAL_DATAGRAM_PROTOCOL_HPP

#include <blitz/basic_datagram_socket.hpp>
#include <blitz/local/basic_endpoint.hpp>

#include <sys/socket.h>

namespace blitz {
namespace local {

class datagram_protocol
{
public:
  using endpoint = basic_endpoint<datagram_protocol>;
  using socket = basic_datagram_socket<datagram_protocol>;

  int type() const noexcept { return SOCK_DGRAM; }
  int protocol() const noexcept { return 0; }
  int family() const noexcept { return AF_UNIX; }

  friend bool operator==(const datagram_protocol&, const datagram_protocol&) noexcept
  {
    return true;
  }
  friend bool operator!=(const datagram_protocol&, const datagram_protocol&) noexcept
  {
    return false;
  }
};

} // namespace local
} // namespace blitz

#endif
