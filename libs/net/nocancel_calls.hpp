// Socket calls for operations that never block, made with syscall(2) rather than through
// their libc wrappers.
//
// Why: once a process has a second thread, glibc's recv, send, recvmsg, sendmsg and accept4
// are pthread cancellation points, and every call switches the thread to asynchronous
// cancellation before the syscall and back after it: two locked compare-and-swaps on the
// thread's cancel state, about 60 instructions per call. An io_context thread calls them on
// descriptors that are always non-blocking, so a cancellation point there is worth nothing:
// the call cannot wait, and cancelling a thread in the middle of the scheduler would leave
// its state behind anyway. The io_uring backend never went through these wrappers; now the
// epoll backend's reads and writes, and the sends io_uring makes with send(2), don't
// either. Synchronous calls (socket_transfer.cpp) may block, so they keep the wrappers and
// stay cancellation points, as POSIX has them.
//
// The return value and errno are those of the wrapper: -1 with errno set on failure. Like
// the io_uring backend's operations, these calls are not seen by sanitizer interceptors
// (ASan's check of the buffer range, TSan's happens-before through a socket); the buffers
// are the same ones the ring reads and writes, and the tests run both backends.
#ifndef BLITZ_LIBS_NET_NOCANCEL_CALLS_HPP
#define BLITZ_LIBS_NET_NOCANCEL_CALLS_HPP

#include <cstddef>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace nocancel {

inline ssize_t recv(int fd, void* buf, std::size_t len, int flags) noexcept
{
  return ::syscall(SYS_recvfrom, fd, buf, len, flags, nullptr, nullptr);
}

inline ssize_t send(int fd, const void* buf, std::size_t len, int flags) noexcept
{
  return ::syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}

inline ssize_t recvmsg(int fd, ::msghdr* m, int flags) noexcept
{
  return ::syscall(SYS_recvmsg, fd, m, flags);
}

inline ssize_t sendmsg(int fd, const ::msghdr* m, int flags) noexcept
{
  return ::syscall(SYS_sendmsg, fd, m, flags);
}

inline int accept4(int fd, ::sockaddr* addr, ::socklen_t* len, int flags) noexcept
{
  return static_cast<int>(::syscall(SYS_accept4, fd, addr, len, flags));
}

} // namespace nocancel
} // namespace detail
} // namespace blitz

#endif
