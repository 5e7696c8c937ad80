#include <blitz/detail/socket_impl.hpp>
#include <blitz/detail/multishot_op.hpp>
#include <blitz/detail/backend.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/error.hpp>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace blitz {
namespace detail {

namespace {

boost::system::error_code last_error()
{
  return boost::system::error_code(errno, boost::system::system_category());
}

bool set_nonblocking(int fd)
{
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0)
    return false;
  return (flags & O_NONBLOCK) || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// close() that survives EINTR: on Linux the descriptor is released even when close()
// reports EINTR, so retrying would close a descriptor another thread may have reused.
int close_fd(int fd)
{
  int r = ::close(fd);
  if (r < 0 && errno == EINTR)
    return 0;
  return r;
}

} // namespace

socket_impl::~socket_impl()
{
  boost::system::error_code ignored;
  close(ignored);
}

socket_impl::socket_impl(socket_impl&& other) noexcept
  : sched_(other.sched_), fd_(other.fd_), type_(other.type_), desc_(other.desc_),
    user_non_blocking_(other.user_non_blocking_), native_blocking_(other.native_blocking_),
    tcp_(other.tcp_)
{
  other.fd_ = -1;
  other.desc_ = nullptr;
  other.user_non_blocking_ = false;
  other.native_blocking_ = false;
}

socket_impl& socket_impl::operator=(socket_impl&& other) noexcept
{
  if (this != &other)
  {
    boost::system::error_code ignored;
    close(ignored);
    sched_ = other.sched_;
    fd_ = other.fd_;
    type_ = other.type_;
    desc_ = other.desc_;
    user_non_blocking_ = other.user_non_blocking_;
    native_blocking_ = other.native_blocking_;
    tcp_ = other.tcp_;
    other.fd_ = -1;
    other.desc_ = nullptr;
    other.user_non_blocking_ = false;
    other.native_blocking_ = false;
  }
  return *this;
}

void socket_impl::register_fd(int family, int protocol, boost::system::error_code& ec)
{
  if (!set_nonblocking(fd_))
  {
    ec = last_error();
    return;
  }
  tcp_ = type_ == SOCK_STREAM && (family == AF_INET || family == AF_INET6) &&
         (protocol == 0 || protocol == IPPROTO_TCP);
  desc_ = sched_->io().register_descriptor(fd_, ec);
}

void socket_impl::open(int family, int type, int protocol, boost::system::error_code& ec)
{
  if (fd_ >= 0)
  {
    ec = error::already_open;
    return;
  }
  int fd = ::socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0)
  {
    ec = last_error();
    return;
  }
  fd_ = fd;
  type_ = type;
  register_fd(family, protocol, ec);
  if (ec)
  {
    close_fd(fd_);
    fd_ = -1;
    desc_ = nullptr;
  }
}

void socket_impl::assign(int family, int type, int protocol, int fd,
                         boost::system::error_code& ec)
{
  if (fd_ >= 0)
  {
    ec = error::already_open;
    return;
  }
  fd_ = fd;
  type_ = type;
  register_fd(family, protocol, ec);
  if (ec)
  {
    fd_ = -1;
    desc_ = nullptr;
  }
}

void socket_impl::close(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (fd_ < 0)
    return;
  // Pending operations complete with operation_aborted; the backend also stops
  // reporting events for this descriptor before it is closed and possibly reused.
  if (desc_)
    sched_->io().deregister_descriptor(desc_);
  desc_ = nullptr;
  if (close_fd(fd_) < 0)
    ec = last_error();
  fd_ = -1;
  user_non_blocking_ = false;
  native_blocking_ = false;
}

int socket_impl::release(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return -1;
  }
  if (desc_)
    sched_->io().deregister_descriptor(desc_);
  desc_ = nullptr;
  int fd = fd_;
  fd_ = -1;
  user_non_blocking_ = false;
  native_blocking_ = false;
  return fd;
}

void socket_impl::cancel(boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  ec = boost::system::error_code();
  sched_->io().cancel_ops(desc_);
}

void socket_impl::bind(const ::sockaddr* a, ::socklen_t len, boost::system::error_code& ec)
{
  ec = ::bind(fd_, a, len) < 0 ? last_error() : boost::system::error_code();
}

void socket_impl::listen(int backlog, boost::system::error_code& ec)
{
  ec = ::listen(fd_, backlog) < 0 ? last_error() : boost::system::error_code();
}

void socket_impl::shutdown(int how, boost::system::error_code& ec)
{
  ec = ::shutdown(fd_, how) < 0 ? last_error() : boost::system::error_code();
}

void socket_impl::set_option(int level, int name, const void* v, std::size_t len,
                             boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  ec = ::setsockopt(fd_, level, name, v, static_cast<::socklen_t>(len)) < 0
           ? last_error() : boost::system::error_code();
}

void socket_impl::get_option(int level, int name, void* v, std::size_t* len,
                             boost::system::error_code& ec) const
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  ::socklen_t l = static_cast<::socklen_t>(*len);
  if (::getsockopt(fd_, level, name, v, &l) < 0)
  {
    ec = last_error();
    return;
  }
  // Linux doubles SO_SNDBUF and SO_RCVBUF when they are set (room for its bookkeeping) and
  // reports the doubled size. Asio halves what it reads back, so that the size set is the
  // size got; so does this.
  if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF) && l == sizeof(int))
    *static_cast<int*>(v) /= 2;
  *len = l;
  ec = boost::system::error_code();
}

void socket_impl::local_endpoint(::sockaddr* a, std::size_t* len,
                                 boost::system::error_code& ec) const
{
  ::socklen_t l = static_cast<::socklen_t>(*len);
  if (fd_ < 0)
    ec = error::bad_descriptor;
  else if (::getsockname(fd_, a, &l) < 0)
    ec = last_error();
  else
  {
    *len = l;
    ec = boost::system::error_code();
  }
}

void socket_impl::remote_endpoint(::sockaddr* a, std::size_t* len,
                                  boost::system::error_code& ec) const
{
  ::socklen_t l = static_cast<::socklen_t>(*len);
  if (fd_ < 0)
    ec = error::bad_descriptor;
  else if (::getpeername(fd_, a, &l) < 0)
    ec = last_error();
  else
  {
    *len = l;
    ec = boost::system::error_code();
  }
}

void socket_impl::non_blocking(bool mode, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  // Only the user-visible mode changes: the descriptor stays O_NONBLOCK either way (and
  // becomes so again if native_non_blocking(false) had cleared it).
  if (mode && native_blocking_)
  {
    if (!set_nonblocking(fd_))
    {
      ec = last_error();
      return;
    }
    native_blocking_ = false;
  }
  user_non_blocking_ = mode;
  ec = boost::system::error_code();
}

void socket_impl::native_non_blocking(bool mode, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  // Asio's rule: a socket the user made non-blocking cannot have a blocking descriptor
  // underneath, or its synchronous calls would block after all.
  if (!mode && user_non_blocking_)
  {
    ec = error::invalid_argument;
    return;
  }
  int flags = ::fcntl(fd_, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, mode ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0)
  {
    ec = last_error();
    return;
  }
  native_blocking_ = !mode;
  ec = boost::system::error_code();
}

// An asynchronous operation must never find the descriptor blocking: the epoll backend
// performs the syscall on the I/O thread, which would then hang.
void socket_impl::restore_native_non_blocking() noexcept
{
  if (native_blocking_ && set_nonblocking(fd_))
    native_blocking_ = false;
}

bool socket_impl::at_mark(boost::system::error_code& ec) const
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return false;
  }
  int r = ::sockatmark(fd_);
  if (r < 0)
  {
    ec = last_error();
    return false;
  }
  ec = boost::system::error_code();
  return r != 0;
}

void socket_impl::io_control(unsigned long request, void* arg, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  // FIONBIO would flip O_NONBLOCK behind the backends' back; like Asio, treat it as the
  // user's non-blocking mode, which here never touches the descriptor.
  if (request == static_cast<unsigned long>(FIONBIO))
  {
    non_blocking(*static_cast<int*>(arg) != 0, ec);
    return;
  }
  int r;
  do
    r = ::ioctl(fd_, request, arg);
  while (r < 0 && errno == EINTR);
  ec = r < 0 ? last_error() : boost::system::error_code();
}

std::size_t socket_impl::available(boost::system::error_code& ec) const
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return 0;
  }
  int n = 0;
  if (::ioctl(fd_, FIONREAD, &n) < 0)
  {
    ec = last_error();
    return 0;
  }
  ec = boost::system::error_code();
  return static_cast<std::size_t>(n);
}

// Waits until fd_ reports events, for synchronous calls on a socket in blocking mode.
// Returns false (with ec set) when the caller must give up.
bool socket_impl::wait_ready(short events, boost::system::error_code& ec)
{
  if (user_non_blocking_)
  {
    ec = error::would_block;
    return false;
  }
  ::pollfd p{fd_, events, 0};
  for (;;)
  {
    int r = ::poll(&p, 1, -1);
    if (r >= 0)
      return true;
    if (errno != EINTR)
    {
      ec = last_error();
      return false;
    }
  }
}

int socket_impl::accept(::sockaddr* a, std::size_t* len, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return -1;
  }
  for (;;)
  {
    ::socklen_t l = len ? static_cast<::socklen_t>(*len) : 0;
    int fd = ::accept4(fd_, a, a ? &l : nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0)
    {
      if (len)
        *len = l;
      ec = boost::system::error_code();
      return fd;
    }
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
    {
      ec = last_error();
      return -1;
    }
    if (!wait_ready(POLLIN, ec))
      return -1;
  }
}

void socket_impl::connect(const ::sockaddr* a, ::socklen_t len, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  int r = ::connect(fd_, a, len);
  if (r == 0)
  {
    ec = boost::system::error_code();
    return;
  }
  // EINTR: the connection continues in the background, exactly like EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR)
  {
    ec = last_error();
    return;
  }
  // Waits even in user non-blocking mode, as Asio's synchronous connect does: its result is
  // the connection's, never in_progress.
  ::pollfd p{fd_, POLLOUT, 0};
  while (::poll(&p, 1, -1) < 0)
    if (errno != EINTR)
    {
      ec = last_error();
      return;
    }
  int err = 0;
  ::socklen_t l = sizeof(err);
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
    err = errno;
  ec = boost::system::error_code(err, boost::system::system_category());
}

void socket_impl::wait(io_kind kind, boost::system::error_code& ec)
{
  if (fd_ < 0)
  {
    ec = error::bad_descriptor;
    return;
  }
  short ev = kind == io_kind::wait_read ? POLLIN : kind == io_kind::wait_write ? POLLOUT : POLLPRI;
  ::pollfd p{fd_, ev, 0};
  // In user non-blocking mode only a look, as in Asio: would_block when not ready.
  int timeout = user_non_blocking_ ? 0 : -1;
  int r;
  while ((r = ::poll(&p, 1, timeout)) < 0)
    if (errno != EINTR)
    {
      ec = last_error();
      return;
    }
  ec = r == 0 ? boost::system::error_code(error::would_block) : boost::system::error_code();
}

void socket_impl::start_op(io_op* o)
{
  sched_->work_started();
  if (o->multishot_)
    static_cast<multishot_op*>(o)->sched_ = sched_;
  if (fd_ < 0)
  {
    o->ec_ = error::bad_descriptor;
    op_queue done;
    finish_op(o, done);
    sched_->post_completions(done);
    return;
  }
  restore_native_non_blocking();
  o->fd_ = fd_;
  o->stream_ = type_ == SOCK_STREAM;
  o->tcp_ = tcp_;
  sched_->io().start_op(desc_, o);
}

void socket_impl::start_connect(io_op* o, const ::sockaddr* a, ::socklen_t len)
{
  sched_->work_started();
  if (fd_ < 0)
  {
    o->ec_ = error::bad_descriptor;
    sched_->post_completion(o);
    return;
  }
  restore_native_non_blocking();
  o->fd_ = fd_;
  int r = ::connect(fd_, a, len);
  if (r == 0 || (errno != EINPROGRESS && errno != EINTR))
  {
    o->set_result(r == 0 ? 0 : -errno);
    sched_->post_completion(o);
    return;
  }
  sched_->io().start_op(desc_, o);
}

void socket_impl::post_immediate(io_op* o, const boost::system::error_code& ec)
{
  sched_->work_started();
  o->ec_ = ec;
  o->bytes_ = 0;
  sched_->post_completion(o);
}

} // namespace detail
} // namespace blitz
