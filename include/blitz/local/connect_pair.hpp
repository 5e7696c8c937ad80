// local::connect_pair: two already-connected UNIX-domain sockets (socketpair(2)), e.g. to
// talk to a child process or between two parts of one program.
#ifndef BLITZ_LOCAL_CONNECT_PAIR_HPP
#define BLITZ_LOCAL_CONNECT_PAIR_HPP

#include <blitz/basic_socket.hpp>
#include <blitz/detail/throw_error.hpp>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace blitz {
namespace local {

// Both sockets must be closed; on failure neither is left open and no descriptor leaks.
template <class Protocol, class Executor1, class Executor2>
void connect_pair(basic_socket<Protocol, Executor1>& socket1,
                  basic_socket<Protocol, Executor2>& socket2, boost::system::error_code& ec)
{
  if (socket1.is_open() || socket2.is_open())
  {
    ec = error::already_open;
    return;
  }
  const Protocol p;
  int fds[2];
  if (::socketpair(p.family(), p.type() | SOCK_CLOEXEC, p.protocol(), fds) < 0)
  {
    ec = boost::system::error_code(errno, boost::system::system_category());
    return;
  }
  socket1.assign(p, fds[0], ec);
  if (ec)
  {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  socket2.assign(p, fds[1], ec);
  if (ec)
  {
    boost::system::error_code ignored;
    socket1.close(ignored);
    ::close(fds[1]);
  }
}

template <class Protocol, class Executor1, class Executor2>
void connect_pair(basic_socket<Protocol, Executor1>& socket1,
                  basic_socket<Protocol, Executor2>& socket2)
{
  boost::system::error_code ec;
  connect_pair(socket1, socket2, ec);
  detail::throw_error(ec, "connect_pair");
}

} // namespace local
} // namespace blitz

#endif
