// socket_base: the option types, flags and enums shared by every socket and acceptor
// class (they derive from it, so `tcp::socket::keep_alive` and
// `socket_base::keep_alive` name the same type).
#ifndef BLITZ_SOCKET_BASE_HPP
#define BLITZ_SOCKET_BASE_HPP

#include <blitz/detail/io_control.hpp>
#include <blitz/detail/socket_option.hpp>

#include <sys/socket.h>

namespace blitz {
namespace detail {

// The integral constants live in a class template because a template's static const
// members can be defined in a header. Without a definition, C++14 code that odr-uses one
// (std::max(n, socket_base::max_listen_connections) binds it to a reference) fails to
// link, a trap Asio's own socket_base has.
template <typename Unused = void>
struct socket_base_constants
{
  static const int message_peek = MSG_PEEK;
  static const int message_out_of_band = MSG_OOB;
  static const int message_do_not_route = MSG_DONTROUTE;
  static const int message_end_of_record = MSG_EOR;

  // The backlog for listen(); the kernel caps it at net.core.somaxconn anyway.
  static const int max_listen_connections = SOMAXCONN;
  // Deprecated in Asio in favour of max_listen_connections.
  static const int max_connections = SOMAXCONN;
};

template <typename Unused>
const int socket_base_constants<Unused>::message_peek;
template <typename Unused>
const int socket_base_constants<Unused>::message_out_of_band;
template <typename Unused>
const int socket_base_constants<Unused>::message_do_not_route;
template <typename Unused>
const int socket_base_constants<Unused>::message_end_of_record;
template <typename Unused>
const int socket_base_constants<Unused>::max_listen_connections;
template <typename Unused>
const int socket_base_constants<Unused>::max_connections;

} // namespace detail

class socket_base : public detail::socket_base_constants<>
{
public:
  enum shutdown_type
  {
    shutdown_receive = SHUT_RD,
    shutdown_send = SHUT_WR,
    shutdown_both = SHUT_RDWR
  };

  // A bitmask of the message_* constants, passed to send/receive.
  using message_flags = int;

  // For wait() and async_wait().
  enum wait_type
  {
    wait_read,
    wait_write,
    wait_error
  };

  using broadcast = detail::socket_option::boolean<SOL_SOCKET, SO_BROADCAST>;
  using debug = detail::socket_option::boolean<SOL_SOCKET, SO_DEBUG>;
  using do_not_route = detail::socket_option::boolean<SOL_SOCKET, SO_DONTROUTE>;
  using keep_alive = detail::socket_option::boolean<SOL_SOCKET, SO_KEEPALIVE>;
  using send_buffer_size = detail::socket_option::integer<SOL_SOCKET, SO_SNDBUF>;
  using send_low_watermark = detail::socket_option::integer<SOL_SOCKET, SO_SNDLOWAT>;
  using receive_buffer_size = detail::socket_option::integer<SOL_SOCKET, SO_RCVBUF>;
  using receive_low_watermark = detail::socket_option::integer<SOL_SOCKET, SO_RCVLOWAT>;
  using reuse_address = detail::socket_option::boolean<SOL_SOCKET, SO_REUSEADDR>;
  using linger = detail::socket_option::linger<SOL_SOCKET, SO_LINGER>;
  using out_of_band_inline = detail::socket_option::boolean<SOL_SOCKET, SO_OOBINLINE>;

  // For io_control(): how many bytes a read could return now (FIONREAD).
  using bytes_readable = detail::io_control::bytes_readable;

  // Whether accept may complete with error::connection_aborted (a peer that reset the
  // connection while it sat in the backlog). Off by default, in which case the acceptor
  // skips such connections and keeps waiting. Handled by the library, not the kernel.
  using enable_connection_aborted = detail::socket_option::library_boolean<
      detail::custom_socket_option_level, detail::enable_connection_aborted_option>;

protected:
  // Not for deleting derived sockets through; socket_base is a bag of names.
  ~socket_base() = default;
};

} // namespace blitz

#endif
