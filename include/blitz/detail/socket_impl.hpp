// The type-erased part of every socket: the descriptor, its backend registration, the
// blocking-mode flags and the syscalls. Compiled once in libs/net; the socket templates
// add only the handler-typed ops and the endpoint types. posix::basic_descriptor uses it
// too (with read/write instead of the socket calls): a pipe or tty needs exactly the same
// registration, cancellation and blocking-mode handling as a socket.
//
// Descriptors are always O_NONBLOCK underneath (io_uring and epoll both need it for the
// speculative path); a synchronous call on a socket the user did not set non-blocking waits
// with poll() and retries, so it behaves like a blocking socket, as in Asio.
#ifndef BLITZ_DETAIL_SOCKET_IMPL_HPP
#define BLITZ_DETAIL_SOCKET_IMPL_HPP

#include <blitz/detail/io_op.hpp>

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <sys/socket.h>
#include <sys/uio.h>

namespace blitz {
namespace detail {

class scheduler;
struct descriptor_state;

class socket_impl
{
public:
  explicit socket_impl(scheduler& s) noexcept : sched_(&s) {}
  ~socket_impl();
  socket_impl(socket_impl&& other) noexcept;
  socket_impl& operator=(socket_impl&& other) noexcept;
  socket_impl(const socket_impl&) = delete;
  socket_impl& operator=(const socket_impl&) = delete;

  scheduler& sched() const noexcept { return *sched_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  int type() const noexcept { return type_; }

  void open(int family, int type, int protocol, boost::system::error_code& ec);
  void assign(int family, int type, int protocol, int fd, boost::system::error_code& ec);
  void close(boost::system::error_code& ec);
  int release(boost::system::error_code& ec);
  void cancel(boost::system::error_code& ec);

  void bind(const ::sockaddr* a, ::socklen_t len, boost::system::error_code& ec);
  void listen(int backlog, boost::system::error_code& ec);
  void shutdown(int how, boost::system::error_code& ec);
  void set_option(int level, int name, const void* v, std::size_t len,
                  boost::system::error_code& ec);
  void get_option(int level, int name, void* v, std::size_t* len,
                  boost::system::error_code& ec) const;
  void local_endpoint(::sockaddr* a, std::size_t* len, boost::system::error_code& ec) const;
  void remote_endpoint(::sockaddr* a, std::size_t* len, boost::system::error_code& ec) const;

  bool non_blocking() const noexcept { return user_non_blocking_; }
  void non_blocking(bool mode, boost::system::error_code& ec);
  bool native_non_blocking() const noexcept { return !native_blocking_; }
  void native_non_blocking(bool mode, boost::system::error_code& ec);
  std::size_t available(boost::system::error_code& ec) const;
  bool at_mark(boost::system::error_code& ec) const;
  void io_control(unsigned long request, void* arg, boost::system::error_code& ec);

  // Synchronous operations.
  std::size_t receive(const ::iovec* iov, std::size_t n, int flags,
                      boost::system::error_code& ec);
  std::size_t send(const ::iovec* iov, std::size_t n, int flags, boost::system::error_code& ec);
  // Datagrams: *len is the capacity of a on entry and the sender's address length after.
  std::size_t receive_from(const ::iovec* iov, std::size_t n, int flags, ::sockaddr* a,
                           std::size_t* len, boost::system::error_code& ec);
  std::size_t send_to(const ::iovec* iov, std::size_t n, int flags, const ::sockaddr* a,
                      ::socklen_t len, boost::system::error_code& ec);
  // Descriptors (pipes, ttys): readv/writev at the current position.
  std::size_t read(const ::iovec* iov, std::size_t n, boost::system::error_code& ec);
  std::size_t write(const ::iovec* iov, std::size_t n, boost::system::error_code& ec);
  int accept(::sockaddr* a, std::size_t* len, boost::system::error_code& ec);
  void connect(const ::sockaddr* a, ::socklen_t len, boost::system::error_code& ec);
  void wait(io_kind kind, boost::system::error_code& ec);

  // Asynchronous operations: o is filled by the caller (buffers, flags); these set the
  // descriptor, count the work and hand o to the backend. Errors known up front (socket
  // not open) complete o through the scheduler, never inline.
  void start_op(io_op* o);
  void start_connect(io_op* o, const ::sockaddr* a, ::socklen_t len);
  // Completes o with ec (or success, for zero-length transfers) without any syscall.
  void post_immediate(io_op* o, const boost::system::error_code& ec);

private:
  void register_fd(int family, int protocol, boost::system::error_code& ec);
  bool wait_ready(short events, boost::system::error_code& ec);
  void restore_native_non_blocking() noexcept;
  // The retry loop of the synchronous transfers (libs/net/socket_transfer.cpp).
  template <class Syscall>
  std::size_t transfer(Syscall call, bool is_read, std::size_t total,
                       boost::system::error_code& ec);

  scheduler* sched_;
  int fd_ = -1;
  int type_ = 0;
  descriptor_state* desc_ = nullptr;
  bool user_non_blocking_ = false;
  // The user cleared O_NONBLOCK through native_non_blocking(false); every other path keeps
  // the descriptor non-blocking.
  bool native_blocking_ = false;
  // TCP (AF_INET or AF_INET6, SOCK_STREAM, protocol TCP or the default): its ops may take
  // a short transfer for an empty queue (io_op::drained). Not SCTP, whose reads stop at
  // message boundaries.
  bool tcp_ = false;
};

} // namespace detail
} // namespace blitz

#endif
