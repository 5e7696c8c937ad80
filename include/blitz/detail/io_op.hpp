// A socket operation described generically enough that every backend can carry it out:
// io_uring turns the description into an SQE, epoll performs the syscall itself when the
// descriptor is ready. Templates (the socket classes) fill the description; all syscall
// logic is compiled once in libs/.
#ifndef BLITZ_DETAIL_IO_OP_HPP
#define BLITZ_DETAIL_IO_OP_HPP

#include <blitz/detail/op.hpp>
#include <blitz/detail/timer_wheel.hpp>

#include <boost/intrusive/list_hook.hpp>

#include <cstdint>
#include <new>
#include <sys/socket.h>
#include <sys/uio.h>

namespace blitz {
namespace detail {

enum class io_kind : std::uint8_t
{
  recv,       // recv / recvmsg into iov_
  send,       // send / sendmsg from iov_, never raising SIGPIPE
  recv_from,  // recvmsg into iov_; sender address into addr_/addrlen_ (datagrams)
  send_to,    // sendmsg from iov_ to addr_/addrlen_, never raising SIGPIPE
  read,       // readv / preadv at offset_ (-1: the descriptor's position): pipes, files
  write,      // writev / pwritev at offset_ (-1: the descriptor's position)
  accept,     // accept4; new descriptor in new_fd_
  connect,    // a non-blocking connect already returned EINPROGRESS: wait, then SO_ERROR
  wait_read,  // readiness only
  wait_write,
  wait_error
};

// io_op::direction: which readiness queue the op waits in on reactor backends.
enum class io_direction : std::uint8_t
{
  read,
  write,
  error
};

struct descriptor_state;
class backend;
class buffer_pool_impl;
class io_op;

// A per-operation deadline on a reactor backend: the op's entry in the backend's own wheel.
struct op_deadline : wheel_entry
{
  io_op* op = nullptr;
};

class io_op : public result_op
{
public:
  // Enough for the common scatter/gather cases without making every op large; longer
  // sequences transfer their first max_iov buffers, which read_some/write_some allow.
  static constexpr unsigned max_iov = 8;

  // The members are ordered by use. At 256 connections an op's memory is cold by the time
  // its completion comes (every other connection ran in between), so each line it touches
  // is a cache miss. A socket transfer touches the first 144 bytes (the op header and the
  // members below up to iov_[0]) and its handler (placed ahead of the op: handler_first).
  // What only other kinds read is set by the constructor for those kinds alone, and what
  // is set before use has no initial value.
  io_kind kind_;
  bool stream_ = true;       // a zero-byte read on a stream with a non-empty buffer is eof
  bool multishot_ = false;   // a multishot_op: results go through deliver(), see multishot_op.hpp
  // Reactor backends: perform() found the buffer pool empty at its limit; the op waits for a
  // buffer to come back rather than for readiness.
  bool starved_ = false;
  // A TCP socket's transfer: see drained().
  bool tcp_ = false;
  std::uint8_t iov_count_ = 0;
  std::uint8_t backend_phase_ = 0; // backend-private: e.g. io_uring's poll-then-retry step
  // Backend-private, set when the op starts: e.g. io_uring's in-order lane (in padding that
  // was there anyway, on the line every start and completion touches).
  std::int8_t backend_lane_ = -1;
  int fd_ = -1;
  int msg_flags_ = 0;
  std::uint32_t backend_tag_ = 0;  // backend-private: e.g. the cancel generation at start
  // recv with provided buffers: the pool the kernel (or perform()) picks a buffer from, and
  // the buffer picked (-1: none). iov_[0] then holds only the length, as a null buffer.
  std::int32_t buffer_id_ = -1;
  buffer_pool_impl* pool_ = nullptr;
  descriptor_state* desc_ = nullptr;
  backend* backend_ = nullptr; // set by the backend that started the op
  // cancel_after: absolute steady-clock deadline in ns, -1 for none. io_uring links an
  // absolute IORING_OP_LINK_TIMEOUT to the op; epoll keeps deadline_entry_ in its wheel.
  std::int64_t deadline_ns_ = -1;
  // Backend-private: an io_uring ring bound to one thread lists its in-kernel ops (by
  // descriptor), so that a context destroyed elsewhere can still reclaim them.
  boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>
      ring_hook_;
  ::iovec iov_[max_iov];
  // Exists only while deadline_ns_ >= 0 (set_deadline constructs it): built for every op,
  // it wrote a cache line that only ops with a deadline on epoll ever read.
  union
  {
    op_deadline deadline_entry_;
  };
  int new_fd_;               // accept's result (-1 until then)
  // accept/recv_from: where the peer address goes (may be null for accept), addrlen_ its
  // capacity before and its length after; send_to: the destination.
  ::socklen_t addrlen_;
  ::sockaddr* addr_;
  std::int64_t offset_;      // read/write: file offset, -1 for the current position
  std::int64_t link_ts_[2];  // io_uring: the deadline as a __kernel_timespec, set with it
  ::msghdr msg_;             // built on demand for multi-buffer transfers on io_uring

  // cancel_after: once, before the op starts.
  void set_deadline(std::int64_t deadline_ns) noexcept
  {
    deadline_ns_ = deadline_ns;
    new (&deadline_entry_) op_deadline();
  }

  io_direction direction() const noexcept
  {
    switch (kind_)
    {
    case io_kind::recv:
    case io_kind::recv_from:
      // Urgent data raises POLLPRI, and POLLIN only if ordinary data waits too: an
      // out-of-band receive waiting for readability could wait for ever (Asio's reactor
      // parks it as an except_op for the same reason).
      return (msg_flags_ & MSG_OOB) ? io_direction::error : io_direction::read;
    case io_kind::read:
    case io_kind::accept:
    case io_kind::wait_read:
      return io_direction::read;
    case io_kind::wait_error:
      return io_direction::error;
    default:
      return io_direction::write;
    }
  }

  std::size_t buffer_bytes() const noexcept
  {
    std::size_t n = 0;
    for (unsigned i = 0; i < iov_count_; ++i)
      n += iov_[i].iov_len;
    return n;
  }

  // A completed TCP transfer that moved less than it asked for: the socket's receive
  // queue was empty (or its send buffer full) at that moment, so one more attempt before
  // the next readiness event would only meet EAGAIN. What Tokio calls a partial read; Asio
  // waits for the EAGAIN. Only TCP: a canonical-mode tty returns one line of several, and
  // an AF_UNIX stream stops at a message from another writer or one carrying descriptors,
  // with more data queued behind it and no new event to come. Not for a peek (the data
  // stays), out-of-band data, or pooled or multishot receives.
  bool drained() const noexcept
  {
    if (!tcp_ || multishot_ || pool_ || ec_ || bytes_ == 0 ||
        (msg_flags_ & (MSG_PEEK | MSG_OOB)))
      return false;
    if (kind_ != io_kind::recv && kind_ != io_kind::send)
      return false;
    return bytes_ < buffer_bytes();
  }

  // Records a kernel result (bytes, new fd, or -errno) as ec_/bytes_/new_fd_ with Asio's
  // meaning: ECANCELED is operation_aborted, a zero-byte stream or file read is eof.
  void set_result(int res) noexcept;

  // The recorded result as the kernel would report it: the descriptor or byte count, 0 for
  // eof, -errno for an error.
  int result_code() const noexcept;

  // Performs the syscall without blocking. Returns false when it would block (the op then
  // waits for readiness), true when the op is complete (result recorded).
  bool perform() noexcept;

  // Per-operation cancellation (cancellation_slot): asks the backend that runs the op to
  // abandon it. The op still completes exactly once: with operation_aborted, or with its
  // real result if the kernel finished it first.
  void cancel() noexcept;

  // Points msg_ at iov_ (and at addr_ for the datagram kinds) for a *msg syscall.
  void build_msghdr() noexcept
  {
    msg_ = ::msghdr{};
    msg_.msg_iov = iov_;
    msg_.msg_iovlen = iov_count_;
    if (kind_ == io_kind::recv_from || kind_ == io_kind::send_to)
    {
      msg_.msg_name = addr_;
      msg_.msg_namelen = addrlen_;
    }
  }

protected:
  io_op(func_type f, io_kind k) noexcept : result_op(f), kind_(k)
  {
    // Only for the kinds that read them (see the member order above); kind_ never changes.
    if (k == io_kind::accept)
    {
      new_fd_ = -1;
      addrlen_ = 0;
      addr_ = nullptr;
    }
    else if (k == io_kind::read || k == io_kind::write)
      offset_ = -1;
  }

  ~io_op()
  {
    if (deadline_ns_ >= 0)
      deadline_entry_.~op_deadline();
  }

private:
  bool perform_pooled_recv() noexcept;
};

} // namespace detail
} // namespace blitz

#endif
