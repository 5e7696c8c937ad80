// The synchronous data transfers of socket_impl (stream, datagram and descriptor forms),
// which share one retry loop; the rest of socket_impl is in socket_impl.cpp.
#include <blitz/detail/pipe_write.hpp>
#include <blitz/detail/socket_impl.hpp>
#include <blitz/error.hpp>

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace blitz {
namespace detail {

namespace {

boost::system::error_code last_error()
{
  return boost::system::error_code(errno, boost::system::system_category());
}

} // namespace

// The retry loop every synchronous transfer shares: EINTR retries, EAGAIN waits (in
// blocking mode) and retries, a zero-byte read on a stream is eof.
template <class Syscall>
std::size_t socket_impl::transfer(Syscall call, bool is_read, std::size_t total,
                                  boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return 0;
  }
  if (total == 0 && type_ == SOCK_STREAM)
  {
    // Asio: a zero-length transfer on a stream completes at once with no bytes (a
    // datagram socket still sends or consumes an empty datagram).
    ec = boost::system::error_code();
    return 0;
  }
  for (;;)
  {
    ssize_t r = call();
    if (r > 0 || (r == 0 && !(is_read && type_ == SOCK_STREAM)))
    {
      ec = boost::system::error_code();
      return static_cast<std::size_t>(r);
    }
    if (r == 0)
    {
      ec = error::eof;
      return 0;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
    {
      ec = last_error();
      return 0;
    }
    if (!wait_ready(is_read ? POLLIN : POLLOUT, ec))
      return 0;
  }
}

namespace {

std::size_t iov_total(const ::iovec* iov, std::size_t n)
{
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i)
    total += iov[i].iov_len;
  return total;
}

} // namespace

std::size_t socket_impl::receive(const ::iovec* iov, std::size_t n, int flags,
                                 boost::system::error_code& ec)
{
  const int fd = fd_;
  return transfer(
      [&] {
        ::msghdr m{};
        m.msg_iov = const_cast<::iovec*>(iov);
        m.msg_iovlen = n;
        return ::recvmsg(fd, &m, flags);
      },
      true, iov_total(iov, n), ec);
}

std::size_t socket_impl::send(const ::iovec* iov, std::size_t n, int flags,
                              boost::system::error_code& ec)
{
  const int fd = fd_;
  return transfer(
      [&] {
        ::msghdr m{};
        m.msg_iov = const_cast<::iovec*>(iov);
        m.msg_iovlen = n;
        // MSG_NOSIGNAL: a vanished peer gives EPIPE instead of killing the process.
        return ::sendmsg(fd, &m, flags | MSG_NOSIGNAL);
      },
      false, iov_total(iov, n), ec);
}

std::size_t socket_impl::receive_from(const ::iovec* iov, std::size_t n, int flags,
                                      ::sockaddr* a, std::size_t* len,
                                      boost::system::error_code& ec)
{
  const int fd = fd_;
  ::socklen_t namelen = 0;
  std::size_t r = transfer(
      [&] {
        ::msghdr m{};
        m.msg_name = a;
        m.msg_namelen = static_cast<::socklen_t>(*len);
        m.msg_iov = const_cast<::iovec*>(iov);
        m.msg_iovlen = n;
        ssize_t got = ::recvmsg(fd, &m, flags);
        namelen = m.msg_namelen;
        return got;
      },
      true, iov_total(iov, n), ec);
  if (!ec)
    *len = namelen;
  return r;
}

std::size_t socket_impl::send_to(const ::iovec* iov, std::size_t n, int flags,
                                 const ::sockaddr* a, ::socklen_t len,
                                 boost::system::error_code& ec)
{
  const int fd = fd_;
  return transfer(
      [&] {
        ::msghdr m{};
        m.msg_name = const_cast<::sockaddr*>(a);
        m.msg_namelen = len;
        m.msg_iov = const_cast<::iovec*>(iov);
        m.msg_iovlen = n;
        return ::sendmsg(fd, &m, flags | MSG_NOSIGNAL);
      },
      false, iov_total(iov, n), ec);
}

std::size_t socket_impl::read(const ::iovec* iov, std::size_t n, boost::system::error_code& ec)
{
  const int fd = fd_;
  return transfer([&] { return ::readv(fd, iov, static_cast<int>(n)); }, true,
                  iov_total(iov, n), ec);
}

std::size_t socket_impl::write(const ::iovec* iov, std::size_t n, boost::system::error_code& ec)
{
  const int fd = fd_;
  const std::size_t total = iov_total(iov, n);
  if (fd < 0 || total == 0)
  {
    ec = fd < 0 ? make_error_code(error::bad_descriptor) : boost::system::error_code();
    return 0;
  }
  // A pipe or FIFO whose reader has gone must give EPIPE, not kill the process.
  return transfer([&] { return writev_nosigpipe(fd, iov, static_cast<int>(n)); }, false, total,
                  ec);
}

} // namespace detail
} // namespace blitz
