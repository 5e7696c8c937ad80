// The syscalls behind io_op, for backends that perform operations themselves (epoll) and
// for results reported by the kernel (io_uring).
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/backend.hpp>
#include <blitz/detail/buffer_pool_impl.hpp>
#include <blitz/detail/pipe_write.hpp>
#include <blitz/error.hpp>
#include "nocancel_calls.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace blitz {
namespace detail {

void io_op::set_result(int res) noexcept
{
  if (res < 0)
  {
    // ECANCELED is the value of error::operation_aborted (system category), as in Asio.
    ec_.assign(-res, boost::system::system_category());
    bytes_ = 0;
    return;
  }
  ec_ = boost::system::error_code();
  switch (kind_)
  {
  case io_kind::recv:
  case io_kind::read:
    bytes_ = static_cast<std::size_t>(res);
    // A stream read of zero bytes into a non-empty buffer means the peer will send no
    // more (or a file has no more at that offset); Asio reports that as error::eof.
    if (res == 0 && stream_ && buffer_bytes() > 0)
      ec_ = error::eof;
    break;
  case io_kind::recv_from:
    bytes_ = static_cast<std::size_t>(res);
    addrlen_ = msg_.msg_namelen; // the kernel wrote the sender's length here
    break;
  case io_kind::send:
  case io_kind::send_to:
  case io_kind::write:
    bytes_ = static_cast<std::size_t>(res);
    break;
  case io_kind::accept:
    new_fd_ = res;
    bytes_ = 0;
    break;
  default:
    bytes_ = 0;
    break;
  }
}

int io_op::result_code() const noexcept
{
  if (ec_ == error::eof)
    return 0;
  if (ec_)
    return -ec_.value();
  if (kind_ == io_kind::accept)
    return new_fd_;
  return static_cast<int>(bytes_);
}

namespace {

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

// poll() with a zero timeout, for operations whose completion is a readiness state.
int poll_now(int fd, short events)
{
  ::pollfd p{fd, events, 0};
  int r;
  do
    r = ::poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  return r == 0 ? 0 : p.revents;
}

} // namespace

void io_op::cancel() noexcept
{
  if (backend_ && desc_)
    backend_->cancel_op(desc_, this);
}

// A receive that takes its buffer from a pool, and only once data is there: a socket that
// stays idle holds no buffer.
bool io_op::perform_pooled_recv() noexcept
{
  std::int32_t id;
  if (!pool_->take(id))
  {
    if (pool_->closed())
    {
      set_result(-ECANCELED);
      return true;
    }
    starved_ = true; // at its limit: wait for a buffer to come back, not for readiness
    return false;
  }
  for (;;)
  {
    ssize_t r = nocancel::recv(fd_, pool_->address(id), pool_->buffer_size(), msg_flags_);
    int err = r < 0 ? errno : 0;
    if (err == EINTR)
      continue;
    if (r <= 0)
      pool_->give_back(id); // may make syscalls: err was saved
    if (r < 0 && would_block(err))
      return false;
    if (r > 0)
      buffer_id_ = id;
    set_result(r < 0 ? -err : static_cast<int>(r));
    return true;
  }
}

bool io_op::perform() noexcept
{
  for (;;)
  {
    ssize_t r = 0;
    switch (kind_)
    {
    case io_kind::recv:
      if (pool_)
        return perform_pooled_recv();
      if (iov_count_ == 1)
        r = nocancel::recv(fd_, iov_[0].iov_base, iov_[0].iov_len, msg_flags_);
      else
      {
        ::msghdr m{};
        m.msg_iov = iov_;
        m.msg_iovlen = iov_count_;
        r = nocancel::recvmsg(fd_, &m, msg_flags_);
      }
      break;
    case io_kind::send:
      // MSG_NOSIGNAL: EPIPE instead of SIGPIPE when the peer is gone.
      if (iov_count_ == 1)
        r = nocancel::send(fd_, iov_[0].iov_base, iov_[0].iov_len, msg_flags_ | MSG_NOSIGNAL);
      else
      {
        ::msghdr m{};
        m.msg_iov = iov_;
        m.msg_iovlen = iov_count_;
        r = nocancel::sendmsg(fd_, &m, msg_flags_ | MSG_NOSIGNAL);
      }
      break;
    case io_kind::recv_from:
      build_msghdr();
      r = nocancel::recvmsg(fd_, &msg_, msg_flags_);
      break;
    case io_kind::send_to:
      build_msghdr();
      r = nocancel::sendmsg(fd_, &msg_, msg_flags_ | MSG_NOSIGNAL);
      break;
    case io_kind::read:
      r = offset_ < 0 ? ::readv(fd_, iov_, iov_count_)
                      : ::preadv(fd_, iov_, iov_count_, static_cast<off_t>(offset_));
      break;
    case io_kind::write:
      // At the descriptor's position (a pipe, a FIFO, a tty): never SIGPIPE.
      r = offset_ < 0 ? writev_nosigpipe(fd_, iov_, iov_count_)
                      : ::pwritev(fd_, iov_, iov_count_, static_cast<off_t>(offset_));
      break;
    case io_kind::accept:
    {
      ::socklen_t len = addrlen_;
      r = nocancel::accept4(fd_, addr_, addr_ ? &len : nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (r >= 0)
        addrlen_ = len;
      // A connection that was reset while queued is gone; the next one may be fine.
      // Asio hides these unless enable_connection_aborted is set.
      if (r < 0 && (errno == ECONNABORTED || errno == EPROTO))
        continue;
      break;
    }
    case io_kind::connect:
    {
      int rev = poll_now(fd_, POLLOUT);
      if (rev == 0)
        return false;
      int err = 0;
      ::socklen_t len = sizeof(err);
      if (rev < 0)
        err = -rev;
      else if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
      set_result(-err);
      return true;
    }
    case io_kind::wait_read:
    case io_kind::wait_write:
    case io_kind::wait_error:
    {
      short ev = kind_ == io_kind::wait_read ? POLLIN
               : kind_ == io_kind::wait_write ? POLLOUT : POLLPRI;
      int rev = poll_now(fd_, ev);
      if (rev == 0)
        return false;
      set_result(rev < 0 ? rev : 0);
      return true;
    }
    }
    if (r < 0)
    {
      if (errno == EINTR)
        continue;
      if (would_block(errno))
        return false;
      set_result(-errno);
      return true;
    }
    set_result(static_cast<int>(r));
    return true;
  }
}

} // namespace detail
} // namespace blitz
