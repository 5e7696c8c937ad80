// local::stream_protocol: connection-oriented UNIX-domain sockets (AF_UNIX, SOCK_STREAM).
#ifndef BLITZ_LOCAL_STREAM_PROTOCOL_HPP
#define BLITZ_LOCAL_STREAM_PROTOCOL_HPP

#include <blitz/basic_socket_acceptor.hpp>
#include <blitz/basic_stream_socket.hpp>
#include <blitz/local/basic_endpoint.hpp>

#include <sys/socket.h>

namespace blitz {
namespace local {

class stream_protocol
{
public:
  using endpoint = basic_endpoint<stream_protocol>;
  using socket = basic_stream_socket<stream_protocol>;
  using acceptor = basic_socket_acceptor<stream_protocol>;

  int type() const noexcept { return SOCK_STREAM; }
  int protocol() const noexcept { return 0; }
  int family() const noexcept { return AF_UNIX; }

  friend bool operator==(const stream_protocol&, const stream_protocol&) noexcept { return true; }
  friend bool operator!=(const stream_protocol&, const stream_protocol&) noexcept { return false; }
};

} // namespace local
} // namespace blitz

#endif
