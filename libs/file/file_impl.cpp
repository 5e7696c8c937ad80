// Files: opening, the three execution paths (see detail/file_impl.hpp), the stream
// position, and the synchronous syscalls.
#include <blitz/detail/backend.hpp>
#include <blitz/detail/blocking_pool.hpp>
#include <blitz/detail/file_impl.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/error.hpp>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace blitz {
namespace detail {

struct file_state
{
  scheduler* sched = nullptr;
  int fd = -1;
  descriptor_state* desc = nullptr; // registered with the backend (native or readiness path)
  bool via_pool = false;            // regular file, backend without native file I/O
  bool kernel_position = false;     // not seekable, or append: offset -1, the kernel's position
  // Stream position when !kernel_position. Written by the completion of one op and read by
  // the start of the next; the scheduler's queue hand-off between the two orders them, so
  // relaxed suffices (the atomic only keeps a misuse, two concurrent ops, free of UB).
  std::atomic<std::int64_t> position{0};

  // Blocking-pool path.
  std::mutex mutex;
  std::condition_variable idle;
  op_queue queued; // handed to the pool, no thread has taken them yet; mutex
  int running = 0; // syscalls in progress on pool threads; mutex
};

void file_stream_advance(file_state& st, std::size_t n) noexcept
{
  if (!st.kernel_position && n > 0)
    st.position.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
}

namespace {

boost::system::error_code last_error()
{
  return boost::system::error_code(errno, boost::system::system_category());
}

// Linux releases the descriptor even when close() reports EINTR; retrying could close a
// descriptor another thread has just been given.
int close_fd(int fd)
{
  int r = ::close(fd);
  if (r < 0 && errno == EINTR)
    return 0;
  return r;
}

// For the synchronous calls on a non-blocking (non-regular) descriptor: sleep until ready.
bool wait_fd(int fd, short events, boost::system::error_code& ec)
{
  ::pollfd p{fd, events, 0};
  for (;;)
  {
    if (::poll(&p, 1, -1) >= 0)
      return true;
    if (errno != EINTR)
    {
      ec = last_error();
      return false;
    }
  }
}

std::size_t total_bytes(const ::iovec* iov, std::size_t n)
{
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i)
    total += iov[i].iov_len;
  return total;
}

// One blocking transfer with the errors Asio reports: EINTR retried, EAGAIN (a
// non-blocking FIFO or device) waited out, zero bytes read into a non-empty buffer is eof.
std::size_t transfer(bool write, int fd, std::int64_t offset, const ::iovec* iov, std::size_t n,
                     boost::system::error_code& ec)
{
  if (fd < 0)
  {
    ec = error::bad_descriptor;
    return 0;
  }
  if (total_bytes(iov, n) == 0)
  {
    ec = boost::system::error_code();
    return 0;
  }
  const int count = static_cast<int>(n);
  for (;;)
  {
    ssize_t r;
    if (write)
      r = offset < 0 ? ::writev(fd, iov, count) : ::pwritev(fd, iov, count, offset);
    else
      r = offset < 0 ? ::readv(fd, iov, count) : ::preadv(fd, iov, count, offset);
    if (r > 0 || (r == 0 && write))
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
    if (errno == EAGAIN || errno == EWOULDBLOCK)
    {
      if (!wait_fd(fd, write ? POLLOUT : POLLIN, ec))
        return 0;
      continue;
    }
    ec = last_error();
    return 0;
  }
}

// Takes o back out of the pool queue if no thread has picked it up yet.
bool take_back(file_state& st, io_op* o)
{
  std::lock_guard<std::mutex> lock(st.mutex);
  bool found = false;
  op_queue keep;
  while (!st.queued.empty())
  {
    op* q = st.queued.pop();
    if (q == o)
      found = true;
    else
      keep.push(q);
  }
  st.queued.swap(keep);
  return found;
}

// A pool thread's task: run the oldest queued syscall. Tasks are interchangeable; a task
// that finds the queue empty (cancel or close took its op back) has nothing to do.
void run_queued(file_state& st)
{
  io_op* o;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    if (st.queued.empty())
      return;
    o = static_cast<io_op*>(st.queued.pop());
    ++st.running;
  }
  // A regular file never reports EAGAIN; if something does, say so rather than spin.
  if (!o->perform())
    o->set_result(-EAGAIN);
  // Posted before running drops: close() waits for running == 0, so the scheduler (which
  // outlives every open file of its context) is still there.
  st.sched->post_completion(o);
  std::lock_guard<std::mutex> lock(st.mutex);
  if (--st.running == 0)
    st.idle.notify_all();
}

void abort_queued(file_state& st)
{
  op_queue aborted;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    aborted.swap(st.queued);
  }
  op_queue ready;
  while (!aborted.empty())
  {
    io_op* o = static_cast<io_op*>(aborted.pop());
    o->set_result(-ECANCELED);
    ready.push(o);
  }
  st.sched->post_completions(ready);
}

} // namespace

file_impl::~file_impl()
{
  boost::system::error_code ignored;
  close(ignored);
}

file_impl::file_impl(file_impl&& other) noexcept
  : sched_(other.sched_), st_(std::move(other.st_))
{
}

file_impl& file_impl::operator=(file_impl&& other) noexcept
{
  if (this != &other)
  {
    boost::system::error_code ignored;
    close(ignored);
    sched_ = other.sched_;
    st_ = std::move(other.st_);
  }
  return *this;
}

bool file_impl::is_open() const noexcept { return st_ && st_->fd >= 0; }

int file_impl::native_handle() const noexcept { return st_ ? st_->fd : -1; }

void file_impl::open(const char* path, int flags, boost::system::error_code& ec)
{
  if (is_open())
  {
    ec = error::already_open;
    return;
  }
  int fd;
  do
    fd = ::open(path, flags | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
  {
    // ENOENT stays an errno in the system category: it compares equal to
    // errc::no_such_file_or_directory, as Asio's does.
    ec = last_error();
    return;
  }
  adopt(fd, true, ec);
  if (ec)
    close_fd(fd);
}

void file_impl::assign(int fd, boost::system::error_code& ec)
{
  if (is_open())
  {
    ec = error::already_open;
    return;
  }
  adopt(fd, false, ec);
}

void file_impl::adopt(int fd, bool fresh, boost::system::error_code& ec)
{
  struct ::stat sb;
  int fl = ::fcntl(fd, F_GETFL, 0);
  if (::fstat(fd, &sb) < 0 || fl < 0)
  {
    ec = last_error();
    return;
  }
  std::shared_ptr<file_state> st = std::make_shared<file_state>();
  st->sched = sched_;
  st->fd = fd;
  const bool regular = S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode);
  st->kernel_position = !regular || (fl & O_APPEND) != 0;
  ec = boost::system::error_code();
  if (regular)
  {
    if (sched_->io().native_file_io())
      st->desc = sched_->io().register_descriptor(fd, ec);
    else
      st->via_pool = true;
  }
  else
  {
    // Readiness applies: wait for it like a socket does, which needs O_NONBLOCK.
    if (!(fl & O_NONBLOCK) && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    {
      ec = last_error();
      return;
    }
    st->desc = sched_->io().register_descriptor(fd, ec);
    if (!ec && sched_->io().always_ready(st->desc))
    {
      // epoll cannot poll it (a directory, a procfs file, a device without poll): its
      // syscalls may block, so they go to the pool rather than the context's thread.
      sched_->io().deregister_descriptor(st->desc);
      st->desc = nullptr;
      st->via_pool = true;
    }
  }
  if (ec)
    return;
  if (!st->kernel_position && !fresh)
  {
    // An assigned descriptor continues from where its owner left it.
    off_t pos = ::lseek(fd, 0, SEEK_CUR);
    st->position.store(pos > 0 ? pos : 0, std::memory_order_relaxed);
  }
  st_ = std::move(st);
}

// Stops all operations: backend ops complete with operation_aborted; pool syscalls not
// yet started are aborted, those running are waited for.
void file_impl::detach() noexcept
{
  file_state& st = *st_;
  if (st.desc)
  {
    sched_->io().deregister_descriptor(st.desc);
    st.desc = nullptr;
  }
  if (st.via_pool)
  {
    abort_queued(st);
    std::unique_lock<std::mutex> lock(st.mutex);
    st.idle.wait(lock, [&st] { return st.running == 0; });
  }
}

void file_impl::close(boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  if (!st_)
    return;
  detach();
  int fd = st_->fd;
  st_->fd = -1;
  st_.reset();
  if (fd >= 0 && close_fd(fd) < 0)
    ec = last_error();
}

int file_impl::release(boost::system::error_code& ec)
{
  if (!is_open())
  {
    ec = error::bad_descriptor;
    return -1;
  }
  ec = boost::system::error_code();
  detach();
  int fd = st_->fd;
  // The descriptor's own position follows the file's, so its new owner continues there.
  if (!st_->kernel_position)
    ::lseek(fd, st_->position.load(std::memory_order_relaxed), SEEK_SET);
  st_->fd = -1;
  st_.reset();
  return fd;
}

void file_impl::cancel(boost::system::error_code& ec)
{
  if (!is_open())
  {
    ec = error::bad_descriptor;
    return;
  }
  ec = boost::system::error_code();
  if (st_->desc)
    sched_->io().cancel_ops(st_->desc);
  // A syscall already running on a pool thread cannot be interrupted; it completes with
  // its real result, as an io_uring read the kernel has already finished does.
  if (st_->via_pool)
    abort_queued(*st_);
}

std::uint64_t file_impl::size(boost::system::error_code& ec) const
{
  struct ::stat sb;
  if (!is_open())
    ec = error::bad_descriptor;
  else if (::fstat(st_->fd, &sb) < 0)
    ec = last_error();
  else
  {
    ec = boost::system::error_code();
    return static_cast<std::uint64_t>(sb.st_size);
  }
  return 0;
}

void file_impl::resize(std::uint64_t n, boost::system::error_code& ec)
{
  if (!is_open())
  {
    ec = error::bad_descriptor;
    return;
  }
  if (n > static_cast<std::uint64_t>(INT64_MAX))
  {
    ec = error::invalid_argument;
    return;
  }
  int r;
  do
    r = ::ftruncate(st_->fd, static_cast<off_t>(n));
  while (r < 0 && errno == EINTR);
  ec = r < 0 ? last_error() : boost::system::error_code();
}

void file_impl::sync_all(boost::system::error_code& ec)
{
  if (!is_open())
    ec = error::bad_descriptor;
  else
    ec = ::fsync(st_->fd) < 0 ? last_error() : boost::system::error_code();
}

void file_impl::sync_data(boost::system::error_code& ec)
{
  if (!is_open())
    ec = error::bad_descriptor;
  else
    ec = ::fdatasync(st_->fd) < 0 ? last_error() : boost::system::error_code();
}

std::uint64_t file_impl::seek(std::int64_t offset, int whence, boost::system::error_code& ec)
{
  if (!is_open())
  {
    ec = error::bad_descriptor;
    return 0;
  }
  if (st_->kernel_position)
  {
    // ESPIPE for a FIFO or device, as Asio reports.
    off_t r = ::lseek(st_->fd, offset, whence);
    if (r < 0)
    {
      ec = last_error();
      return 0;
    }
    ec = boost::system::error_code();
    return static_cast<std::uint64_t>(r);
  }
  std::int64_t base = 0;
  if (whence == SEEK_CUR)
    base = st_->position.load(std::memory_order_relaxed);
  else if (whence == SEEK_END)
  {
    base = static_cast<std::int64_t>(size(ec));
    if (ec)
      return 0;
  }
  else if (whence != SEEK_SET)
  {
    ec = error::invalid_argument;
    return 0;
  }
  // The same checks lseek makes: no position before the start, none past off_t.
  if ((offset < 0 && base + offset < 0) || (offset > 0 && base > INT64_MAX - offset))
  {
    ec = error::invalid_argument;
    return 0;
  }
  st_->position.store(base + offset, std::memory_order_relaxed);
  ec = boost::system::error_code();
  return static_cast<std::uint64_t>(base + offset);
}

std::size_t file_impl::read_at(std::uint64_t offset, const ::iovec* iov, std::size_t n,
                               boost::system::error_code& ec)
{
  if (offset > static_cast<std::uint64_t>(INT64_MAX))
  {
    ec = error::invalid_argument;
    return 0;
  }
  return transfer(false, native_handle(), static_cast<std::int64_t>(offset), iov, n, ec);
}

std::size_t file_impl::write_at(std::uint64_t offset, const ::iovec* iov, std::size_t n,
                                boost::system::error_code& ec)
{
  if (offset > static_cast<std::uint64_t>(INT64_MAX))
  {
    ec = error::invalid_argument;
    return 0;
  }
  return transfer(true, native_handle(), static_cast<std::int64_t>(offset), iov, n, ec);
}

std::size_t file_impl::read_stream(const ::iovec* iov, std::size_t n,
                                   boost::system::error_code& ec)
{
  std::size_t r = transfer(false, native_handle(), stream_offset(), iov, n, ec);
  if (st_)
    file_stream_advance(*st_, r);
  return r;
}

std::size_t file_impl::write_stream(const ::iovec* iov, std::size_t n,
                                    boost::system::error_code& ec)
{
  std::size_t r = transfer(true, native_handle(), stream_offset(), iov, n, ec);
  if (st_)
    file_stream_advance(*st_, r);
  return r;
}

std::int64_t file_impl::stream_offset() const noexcept
{
  if (!st_ || st_->kernel_position)
    return -1;
  return st_->position.load(std::memory_order_relaxed);
}

void file_impl::post_immediate(io_op* o, const boost::system::error_code& ec)
{
  sched_->work_started();
  o->ec_ = ec;
  o->bytes_ = 0;
  sched_->post_completion(o);
}

void file_impl::start_op(io_op* o)
{
  sched_->work_started();
  if (!is_open())
  {
    o->ec_ = error::bad_descriptor;
    o->bytes_ = 0;
    sched_->post_completion(o);
    return;
  }
  o->fd_ = st_->fd;
  // Zero bytes read into a non-empty buffer is the end of the file: eof, as in Asio.
  o->stream_ = true;
  if (st_->via_pool)
    submit_to_pool(o);
  else
    sched_->io().start_op(st_->desc, o);
}

void file_impl::submit_to_pool(io_op* o)
{
  std::shared_ptr<file_state> st = st_;
  {
    std::lock_guard<std::mutex> lock(st->mutex);
    st->queued.push(o);
  }
  try
  {
    blocking_pool::global().submit([st] { run_queued(*st); });
  }
  catch (...)
  {
    // No task will run for o: undo the initiation, as if it had never started. (If an
    // earlier task already picked o up, o completes normally and nothing is undone.)
    if (take_back(*st, o))
    {
      o->destroy();
      sched_->work_finished();
      throw;
    }
  }
}

} // namespace detail
} // namespace blitz
