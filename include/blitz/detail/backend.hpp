// What the scheduler needs from an I/O backend. Two models fit behind it:
//  - completion (io_uring, IOCP): start_op hands the operation to the kernel, run() collects
//    finished operations;
//  - readiness (epoll, kqueue): start_op tries the syscall at once and, on EAGAIN, parks the
//    op on its descriptor; run() waits for readiness and performs parked ops. Completions are
//    thereby emulated and the scheduler cannot tell the difference.
#ifndef BLITZ_DETAIL_BACKEND_HPP
#define BLITZ_DETAIL_BACKEND_HPP

#include <blitz/detail/io_op.hpp>
#include <blitz/detail/op_queue.hpp>

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>

namespace blitz {
namespace detail {

class scheduler;
struct scheduler_options;

// Each backend extends this with its own per-descriptor bookkeeping.
struct descriptor_state
{
  int fd = -1;
};

// A ring of provided buffers (io_uring): receives name the ring's group instead of a
// buffer, and the kernel picks one only when data arrives. Destroying it unregisters it.
class buffer_ring
{
public:
  virtual ~buffer_ring() = default;
  virtual unsigned group() const noexcept = 0;
  // Makes a buffer available to the kernel. Callers serialise (the pool's mutex).
  virtual void provide(void* addr, unsigned len, std::int32_t id) noexcept = 0;
};

// Where a fork() is, as io_context::notify_fork is told.
enum class fork_phase
{
  prepare, // before fork(), in the parent
  parent,  // after it, in the parent
  child    // after it, in the child
};

class backend
{
public:
  virtual ~backend() = default;
  virtual const char* name() const noexcept = 0;
  // Whether regular-file reads and writes (io_kind::read/write at an offset) can be started
  // here. io_uring runs them natively; epoll cannot poll regular files, so file objects
  // send their I/O to the blocking pool instead.
  virtual bool native_file_io() const noexcept { return false; }

  // Per-descriptor state lives from register to deregister (and, internally, until the
  // kernel can no longer report anything for it). Deregistering completes every parked or
  // in-flight op with operation_aborted; the caller closes the descriptor afterwards.
  virtual descriptor_state* register_descriptor(int fd, boost::system::error_code& ec) = 0;
  virtual void deregister_descriptor(descriptor_state* d) noexcept = 0;

  // Starts o (already counted as work). Its completion reaches the scheduler through
  // post_completion, never from inside this call's caller's handler invocation.
  virtual void start_op(descriptor_state* d, io_op* o) = 0;
  // Completes every op pending on d with operation_aborted (an op the kernel already
  // finished completes with its real result).
  virtual void cancel_ops(descriptor_state* d) noexcept = 0;
  // Completes o alone with operation_aborted if it is still pending (cancellation slots).
  virtual void cancel_op(descriptor_state* d, io_op* o) noexcept = 0;
  // cancel_ops for every descriptor at once (io_context::shutdown): returns how many ops
  // were pending. Ops started afterwards are not affected. Only from a thread that may
  // reap (can_reap()). May throw bad_alloc before it has cancelled anything.
  virtual std::size_t cancel_all() = 0;

  // Submits queued work and moves finished ops to ready, waiting at most timeout_ns for
  // the first one (-1: no limit, 0: do not wait). Called by one thread at a time. Returns
  // how many completions (CQEs, epoll events) it found.
  virtual std::size_t run(op_queue& ready, std::int64_t timeout_ns) = 0;
  // Makes a concurrent or upcoming run() return promptly. Any thread.
  virtual void interrupt() noexcept = 0;
  // Hands queued submissions to the kernel now; called by a thread about to go idle while
  // another thread is the reaper, so nothing it queued waits for that reaper's next turn.
  virtual void flush() noexcept {}
  // A provided-buffer ring of `entries` (a power of two) for buffer_pool, or nullptr when
  // the backend has none (the pool then lends buffers to perform() itself). ec is set only
  // when the backend has rings but could not register this one.
  virtual std::unique_ptr<buffer_ring> make_buffer_ring(unsigned entries,
                                                        boost::system::error_code& ec)
  {
    (void)entries;
    ec = boost::system::error_code();
    return nullptr;
  }
  // Some pool got a buffer back: receives parked because their pool was empty at its limit
  // try again. Any thread.
  virtual void buffers_returned() noexcept {}

  // Whether this thread may reap (run()). A backend bound to one thread (an io_uring ring
  // with SINGLE_ISSUER) answers false elsewhere; such threads only run handlers.
  virtual bool can_reap() const noexcept { return true; }

  // Whether ops are in flight, so the scheduler knows to reap between handler batches.
  virtual bool has_pending() const noexcept = 0;
  // How many I/O operations the backend holds now (for metrics; may be momentarily stale).
  virtual std::size_t pending_ops() const noexcept = 0;
  // The scheduler is being destroyed: every op still owned by the backend is destroyed
  // without being invoked, after the kernel has let go of its memory.
  virtual void shutdown() noexcept = 0;
  // The descriptor cannot be waited on (epoll refused it): every op on it is tried at once.
  virtual bool always_ready(const descriptor_state*) const noexcept { return false; }
  // io_context::notify_fork. Throws system_error when the backend cannot follow a fork.
  virtual void notify_fork(fork_phase phase) = 0;
};

// Picks and creates the backend: the option, then BLITZ_IO_BACKEND, then io_uring when a
// ring can be created and probes, else epoll. Throws system_error if none can be created.
// When the automatic choice falls back to epoll, fallback_reason says why io_uring could
// not be used (EPERM under seccomp or kernel.io_uring_disabled, ENOSYS, ...).
std::unique_ptr<backend> make_backend(scheduler& s, const scheduler_options& opts,
                                      boost::system::error_code& fallback_reason);

std::unique_ptr<backend> make_uring_backend(scheduler& s, const scheduler_options& opts,
                                            boost::system::error_code& ec);
std::unique_ptr<backend> make_epoll_backend(scheduler& s, boost::system::error_code& ec);

} // namespace detail
} // namespace blitz

#endif
