// The type-erased part of stream_file and random_access_file: the descriptor, how its
// operations are carried out, the stream position, and the syscalls. Compiled once in
// libs/file; the file templates add only the handler-typed ops.
//
// Three ways an asynchronous operation runs, decided when the file is opened:
//  - regular file (or block device), backend with native file I/O (io_uring): the op goes
//    to the backend like a socket op, as a read/write at an offset;
//  - regular file on a backend without it (epoll cannot poll regular files, they are always
//    "ready" and a read may still sleep on the disk): the syscall runs on the blocking pool
//    and its completion is posted back;
//  - anything else a path can name (FIFO, character device, tty): made non-blocking and
//    registered with the backend like a socket, so it waits for readiness on every backend
//    and can be cancelled instead of pinning a pool thread forever.
//
// Stream position: a stream_file keeps its position here, in user space, and passes it as
// the offset of each read/write, advancing it when the operation completes. Two cases use
// the kernel's file position instead (offset -1): descriptors that cannot seek, and files
// opened with append, whose writes land at the end whatever offset is asked for, so only
// the kernel knows where the position ends up.
//
// Lifetime: what pending operations need after the file object is gone or moved lives in
// file_state, shared with them (a stream op updates the position through it; a pool task
// finds its queue through it). Closing waits for pool syscalls already running (they touch
// the descriptor and the caller's buffers) and aborts queued ones, so no completion is ever
// posted to a scheduler after the file that started it was closed.
#ifndef BLITZ_DETAIL_FILE_IMPL_HPP
#define BLITZ_DETAIL_FILE_IMPL_HPP

#include <blitz/detail/io_op.hpp>

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sys/uio.h>

namespace blitz {
namespace detail {

class scheduler;
struct file_state;

// Called by a stream op's completion, before its handler runs: moves the position past the
// bytes transferred.
void file_stream_advance(file_state& st, std::size_t n) noexcept;

class file_impl
{
public:
  explicit file_impl(scheduler& s) noexcept : sched_(&s) {}
  ~file_impl();
  file_impl(file_impl&& other) noexcept;
  file_impl& operator=(file_impl&& other) noexcept;
  file_impl(const file_impl&) = delete;
  file_impl& operator=(const file_impl&) = delete;

  scheduler& sched() const noexcept { return *sched_; }
  bool is_open() const noexcept;
  int native_handle() const noexcept;

  void open(const char* path, int flags, boost::system::error_code& ec);
  void assign(int fd, boost::system::error_code& ec);
  void close(boost::system::error_code& ec);
  int release(boost::system::error_code& ec);
  void cancel(boost::system::error_code& ec);

  std::uint64_t size(boost::system::error_code& ec) const;
  void resize(std::uint64_t n, boost::system::error_code& ec);
  void sync_all(boost::system::error_code& ec);
  void sync_data(boost::system::error_code& ec);
  // Stream files: moves the position; returns the new one.
  std::uint64_t seek(std::int64_t offset, int whence, boost::system::error_code& ec);

  // Synchronous transfers; they block the caller (a file has no readiness to wait for).
  std::size_t read_at(std::uint64_t offset, const ::iovec* iov, std::size_t n,
                      boost::system::error_code& ec);
  std::size_t write_at(std::uint64_t offset, const ::iovec* iov, std::size_t n,
                       boost::system::error_code& ec);
  std::size_t read_stream(const ::iovec* iov, std::size_t n, boost::system::error_code& ec);
  std::size_t write_stream(const ::iovec* iov, std::size_t n, boost::system::error_code& ec);

  // Asynchronous transfers: o is filled by the caller (kind, buffers, offset_); this sets
  // the descriptor, counts the work and starts it. A closed file completes o with
  // bad_descriptor through the scheduler, never inline.
  void start_op(io_op* o);
  // Completes o with ec and no bytes, through the scheduler (zero-length transfers).
  void post_immediate(io_op* o, const boost::system::error_code& ec);
  // The offset for the next stream read or write (-1: the kernel's position).
  std::int64_t stream_offset() const noexcept;
  // What a stream op keeps to advance the position on completion (null when closed).
  const std::shared_ptr<file_state>& state() const noexcept { return st_; }

private:
  void adopt(int fd, bool fresh, boost::system::error_code& ec);
  void detach() noexcept;
  void submit_to_pool(io_op* o);

  scheduler* sched_;
  std::shared_ptr<file_state> st_;
};

} // namespace detail
} // namespace blitz

#endif
