// Writes to descriptors that are not sockets (pipes, FIFOs, ttys) that never raise SIGPIPE.
//
// send() has MSG_NOSIGNAL; write() had nothing until Linux added RWF_NOSIGNAL for
// pwritev2 and io_uring writes. Where the kernel has the flag, a write to a pipe without
// readers is a plain EPIPE; where it does not, the write runs with SIGPIPE blocked in the
// writing thread and the signal it raised is consumed, which costs three syscalls more.
#ifndef BLITZ_DETAIL_PIPE_WRITE_HPP
#define BLITZ_DETAIL_PIPE_WRITE_HPP

#include <sys/types.h>
#include <sys/uio.h>

namespace blitz {
namespace detail {

// Linux's RWF_NOSIGNAL; older headers (Debian 12's among them) do not define it.
constexpr int rwf_nosignal = 0x00000100;

// rwf_nosignal when this kernel honours it for pwritev2 (and io_uring writes), else 0.
// Probed once per process, on a pipe.
int nosignal_write_flag() noexcept;

// Tests: take the path of kernels without RWF_NOSIGNAL from now on.
void disable_nosignal_write_flag_for_testing() noexcept;

// writev(fd, iov, count) at the descriptor's position, never raising SIGPIPE: -1 with
// errno EPIPE instead.
ssize_t writev_nosigpipe(int fd, const ::iovec* iov, int count) noexcept;

} // namespace detail
} // namespace blitz

#endif
