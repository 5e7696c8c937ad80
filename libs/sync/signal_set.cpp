// signal_set: POSIX signals delivered as completions.
//
// Process-wide, one sigaction handler per signal number, installed when the first set adds
// that number and replaced by the previous disposition when the last set removes it. The
// handler only writes the signal number (one byte) to a non-blocking self-pipe, which is
// async-signal-safe; it saves and restores errno because it interrupts arbitrary code.
//
// Reading the pipe: every io_context with a signal_set has a signal_context here, which
// registers the pipe's read end with that context's backend and, while at least one of its
// sets has an async_wait pending, keeps one wait_read op outstanding on it. Whichever
// context sees the pipe readable first drains it under the registry lock and delivers each
// signal to every set (on any context) that added it: a set with a wait pending completes
// it through its own scheduler, a set without one remembers the signal for its next
// async_wait (Asio's semantics). The other contexts then find the pipe empty and wait again.
//
// Work: the wait_read op counts as work (the backend requires it), so it is only armed
// while a wait is pending on that context, and cancelled as soon as none is; a signal_set
// with no async_wait outstanding never keeps run() from returning, as in Asio. Signals that
// arrive while no context is reading stay in the pipe; async_wait and add drain it first,
// so they reach the sets registered when they arrived, not sets added later.
//
// Lock order: the registry mutex, then a backend's or scheduler's locks (the registry
// posts completions and starts or cancels the pipe op while holding it). Nothing below
// calls into the registry with one of those held: the pipe op's completion runs as an
// ordinary handler.
//
// Not handled: fork() (the child inherits the pipe and handlers but not the contexts; Asio
// needs notify_fork for this too). The pipe itself lives until the process exits.
#include <blitz/detail/backend.hpp>
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/signal_set_impl.hpp>
#include <blitz/detail/slab_pool.hpp>
#include <blitz/error.hpp>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <signal.h>
#include <unistd.h>
#include <vector>

namespace blitz {
namespace detail {

struct signal_context
{
  scheduler* sched = nullptr;     // null once the context is destroyed (orphan)
  std::uint64_t id = 0;           // never reused, unlike the scheduler's address
  descriptor_state* desc = nullptr; // the pipe's read end in this context's backend
  int sets = 0;                   // signal_sets on this context
  long waiting = 0;               // async_waits pending on them
  bool armed = false;             // a pipe op is outstanding
  std::uint64_t arm_gen = 0;      // identifies the outstanding pipe op; bumped on cancel
};

namespace {

// Read by the handler on whatever thread the signal lands on; a lock-free atomic is
// async-signal-safe. Set once, before any handler is installed.
std::atomic<int> pipe_write_fd{-1};

void on_signal(int signo)
{
  const int saved_errno = errno;
  const int fd = pipe_write_fd.load(std::memory_order_relaxed);
  if (fd >= 0)
  {
    unsigned char b = static_cast<unsigned char>(signo);
    ssize_t r;
    do
      r = ::write(fd, &b, 1);
    while (r < 0 && errno == EINTR);
    // EAGAIN: 64 KiB of signals nobody has read yet. Dropping this one loses nothing a
    // reader could tell apart: ordinary signals coalesce in the kernel the same way.
  }
  errno = saved_errno;
}

} // namespace

struct signal_registry
{
  std::mutex mutex;
  int read_fd = -1;
  std::vector<signal_set_impl*> sets;
  std::vector<signal_context*> contexts;
  std::uint64_t next_id = 1;
  int installed[signal_set_impl::max_signal] = {}; // sets that added each signal
  struct ::sigaction saved[signal_set_impl::max_signal];

  // Never destroyed: handlers may run (and contexts read the pipe) during static
  // destruction.
  static signal_registry& get()
  {
    static signal_registry* r = new signal_registry;
    return *r;
  }

  void ensure_pipe_locked();
  signal_context* attach_locked(scheduler& s);
  void detach_locked(signal_context* ctx);
  void drain_locked();
  void arm_locked(signal_context& ctx);
  void disarm_if_idle_locked(signal_context& ctx);
  std::size_t cancel_locked(signal_set_impl& set, const boost::system::error_code& ec);
  void unregister_locked(signal_set_impl& set, int signo);
  void on_pipe_ready(std::uint64_t id, std::uint64_t gen, const boost::system::error_code& ec);
};

namespace {

// The per-context wait for the pipe to become readable.
class signal_pipe_op final : public io_op
{
public:
  signal_pipe_op(std::uint64_t id, std::uint64_t gen)
    : io_op(&signal_pipe_op::do_complete, io_kind::wait_read), id_(id), gen_(gen)
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    signal_pipe_op* self = static_cast<signal_pipe_op*>(base);
    std::uint64_t id = self->id_;
    std::uint64_t gen = self->gen_;
    boost::system::error_code ec = self->ec_;
    delete_op(self);
    if (owner)
      signal_registry::get().on_pipe_ready(id, gen, ec);
  }

  std::uint64_t id_;
  std::uint64_t gen_;
};

bool valid_signal(int signo)
{
  return signo > 0 && signo < signal_set_impl::max_signal;
}

} // namespace

void signal_registry::ensure_pipe_locked()
{
  if (read_fd >= 0)
    return;
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
    throw boost::system::system_error(
        boost::system::error_code(errno, boost::system::system_category()), "signal_set");
  read_fd = fds[0];
  pipe_write_fd.store(fds[1], std::memory_order_release);
}

signal_context* signal_registry::attach_locked(scheduler& s)
{
  for (signal_context* c : contexts)
    if (c->sched == &s)
    {
      ++c->sets;
      return c;
    }
  ensure_pipe_locked();
  boost::system::error_code ec;
  descriptor_state* d = s.io().register_descriptor(read_fd, ec);
  if (ec)
    throw boost::system::system_error(ec, "signal_set");
  signal_context* c = nullptr;
  try
  {
    c = new signal_context;
    c->sched = &s;
    c->id = next_id++;
    c->desc = d;
    c->sets = 1;
    contexts.push_back(c);
  }
  catch (...)
  {
    delete c;
    s.io().deregister_descriptor(d);
    throw;
  }
  return c;
}

void signal_registry::detach_locked(signal_context* ctx)
{
  if (--ctx->sets > 0)
    return;
  // The outstanding pipe op (if any) completes with operation_aborted and, finding no
  // context with its id, does nothing.
  ++ctx->arm_gen;
  ctx->armed = false;
  if (ctx->sched) // else its context is gone, and with it the registration (orphan)
  {
    ctx->sched->io().deregister_descriptor(ctx->desc);
    contexts.erase(std::find(contexts.begin(), contexts.end(), ctx));
  }
  delete ctx;
}

void signal_registry::drain_locked()
{
  if (read_fd < 0)
    return;
  unsigned char buf[128];
  for (;;)
  {
    ssize_t r = ::read(read_fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return; // EAGAIN: empty
    for (ssize_t i = 0; i < r; ++i)
    {
      const int signo = buf[i];
      if (!valid_signal(signo))
        continue;
      for (signal_set_impl* s : sets)
        if (s->has(signo))
          s->deliver(signo);
    }
  }
}

void signal_registry::arm_locked(signal_context& ctx)
{
  if (ctx.armed || ctx.waiting == 0 || !ctx.sched)
    return;
  signal_pipe_op* o = new_op<signal_pipe_op>(ctx.id, ctx.arm_gen + 1);
  ++ctx.arm_gen;
  ctx.armed = true;
  o->fd_ = read_fd;
  o->stream_ = false;
  ctx.sched->work_started();
  ctx.sched->io().start_op(ctx.desc, o);
}

void signal_registry::disarm_if_idle_locked(signal_context& ctx)
{
  if (!ctx.armed || ctx.waiting > 0 || !ctx.sched)
    return;
  ctx.armed = false;
  ++ctx.arm_gen;
  ctx.sched->io().cancel_ops(ctx.desc);
}

std::size_t signal_registry::cancel_locked(signal_set_impl& set,
                                           const boost::system::error_code& ec)
{
  op_queue done;
  long n = 0;
  while (!set.waiters_.empty())
  {
    signal_wait_op* o = static_cast<signal_wait_op*>(set.waiters_.pop());
    o->set_ = nullptr;
    o->ec_ = ec;
    done.push(o);
    ++n;
  }
  if (n == 0)
    return 0;
  set.ctx_->waiting -= n;
  set.sched_->post_completions(done);
  disarm_if_idle_locked(*set.ctx_);
  return static_cast<std::size_t>(n);
}

void signal_registry::unregister_locked(signal_set_impl& set, int signo)
{
  set.registered_.reset(static_cast<std::size_t>(signo));
  set.undelivered_[signo] = 0;
  if (--installed[signo] == 0)
    ::sigaction(signo, &saved[signo], nullptr);
}

void signal_registry::on_pipe_ready(std::uint64_t id, std::uint64_t gen,
                                    const boost::system::error_code& ec)
{
  std::lock_guard<std::mutex> lock(mutex);
  signal_context* ctx = nullptr;
  for (signal_context* c : contexts)
    if (c->id == id)
      ctx = c;
  // Only the op this context currently counts as armed decides about re-arming; a
  // cancelled one that completed anyway still drains, which can only help.
  const bool current = ctx && ctx->armed && ctx->arm_gen == gen;
  if (current)
    ctx->armed = false;
  drain_locked();
  if (!current)
    return;
  if (ec && ec != error::operation_aborted)
  {
    // The pipe cannot be waited on here: fail this context's waits rather than spin.
    for (signal_set_impl* s : sets)
      if (s->ctx_ == ctx)
        cancel_locked(*s, ec);
    return;
  }
  arm_locked(*ctx);
}

signal_set_impl::signal_set_impl(scheduler& s) : sched_(&s)
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  ctx_ = r.attach_locked(s);
  try
  {
    r.sets.push_back(this);
  }
  catch (...)
  {
    r.detach_locked(ctx_);
    throw;
  }
}

signal_set_impl::~signal_set_impl()
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (int signo = 1; signo < max_signal; ++signo)
    if (has(signo))
      r.unregister_locked(*this, signo);
  r.cancel_locked(*this, error::operation_aborted);
  r.sets.erase(std::find(r.sets.begin(), r.sets.end(), this));
  r.detach_locked(ctx_);
}

void signal_set_impl::add(int signo, boost::system::error_code& ec)
{
  // SIGKILL and SIGSTOP cannot be caught; sigaction would refuse them too, but only after
  // the bookkeeping, and Asio reports invalid_argument for them up front as well.
  if (!valid_signal(signo) || signo == SIGKILL || signo == SIGSTOP)
  {
    ec = error::invalid_argument;
    return;
  }
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  ec = boost::system::error_code();
  if (has(signo))
    return;
  // Signals already in the pipe were caught for the sets registered back then.
  r.drain_locked();
  if (r.installed[signo] == 0)
  {
    struct ::sigaction sa = {};
    sa.sa_handler = &on_signal;
    ::sigemptyset(&sa.sa_mask);
    // SA_RESTART: a signal that only feeds a pipe should not make unrelated blocking
    // calls elsewhere in the program fail with EINTR.
    sa.sa_flags = SA_RESTART;
    if (::sigaction(signo, &sa, &r.saved[signo]) < 0)
    {
      // EINVAL for the numbers the C library reserves for itself.
      ec = boost::system::error_code(errno, boost::system::system_category());
      return;
    }
  }
  ++r.installed[signo];
  registered_.set(static_cast<std::size_t>(signo));
}

void signal_set_impl::remove(int signo, boost::system::error_code& ec)
{
  if (!valid_signal(signo))
  {
    ec = error::invalid_argument;
    return;
  }
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  ec = boost::system::error_code();
  if (has(signo))
    r.unregister_locked(*this, signo);
}

void signal_set_impl::clear(boost::system::error_code& ec)
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (int signo = 1; signo < max_signal; ++signo)
    if (has(signo))
      r.unregister_locked(*this, signo);
  ec = boost::system::error_code();
}

void signal_set_impl::cancel(boost::system::error_code& ec)
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.cancel_locked(*this, error::operation_aborted);
  ec = boost::system::error_code();
}

// Registry lock held.
void signal_set_impl::deliver(int signo)
{
  if (!waiters_.empty())
  {
    signal_wait_op* o = static_cast<signal_wait_op*>(waiters_.pop());
    o->set_ = nullptr;
    o->signo_ = signo;
    o->ec_ = boost::system::error_code();
    --ctx_->waiting;
    sched_->post_completion(o);
    signal_registry::get().disarm_if_idle_locked(*ctx_);
    return;
  }
  if (undelivered_[signo] != UINT32_MAX)
    ++undelivered_[signo];
}

void signal_set_impl::start_wait(signal_wait_op* o)
{
  sched_->work_started();
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  // Signals caught while no context was reading the pipe reach their sets first.
  r.drain_locked();
  for (int signo = 1; signo < max_signal; ++signo)
    if (undelivered_[signo] > 0)
    {
      --undelivered_[signo];
      o->signo_ = signo;
      o->ec_ = boost::system::error_code();
      sched_->post_completion(o);
      return;
    }
  waiters_.push(o);
  o->set_ = this;
  ++ctx_->waiting;
  // If arming throws (no memory), the wait stays queued: cancel or a later async_wait
  // still completes it.
  r.arm_locked(*ctx_);
}

void signal_set_impl::cancel_wait(signal_wait_op* o)
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  signal_set_impl* set = o->set_;
  if (!set || !set->waiters_.erase(o))
    return;
  o->set_ = nullptr;
  o->ec_ = boost::system::error_code(error::operation_aborted);
  --set->ctx_->waiting;
  set->sched_->post_completion(o);
  r.disarm_if_idle_locked(*set->ctx_);
}

std::size_t signal_set_impl::cancel_all(scheduler& s)
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::size_t n = 0;
  for (signal_set_impl* set : r.sets)
    if (set->ctx_->sched == &s)
      n += r.cancel_locked(*set, error::operation_aborted);
  return n;
}

void signal_set_impl::abandon_waits(scheduler& s, op_queue& doomed) noexcept
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (signal_set_impl* set : r.sets)
    if (set->ctx_->sched == &s)
      while (!set->waiters_.empty())
      {
        signal_wait_op* o = static_cast<signal_wait_op*>(set->waiters_.pop());
        o->set_ = nullptr; // a per-operation cancel from its destructor finds nothing
        --set->ctx_->waiting;
        doomed.push(o);
      }
  // The pipe op needs no disarming: the backend's shutdown destroys it.
}

void signal_set_impl::orphan(scheduler& s) noexcept
{
  signal_registry& r = signal_registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = std::find_if(r.contexts.begin(), r.contexts.end(),
                         [&](const signal_context* c) { return c->sched == &s; });
  if (it == r.contexts.end())
    return;
  signal_context* c = *it;
  // Lock order as everywhere here: the registry, then the backend.
  s.io().deregister_descriptor(c->desc);
  r.contexts.erase(it);
  // Its sets keep it, and free it with the last of them (detach_locked). Signals still
  // reach them; with no wait pending (abandon_waits took them all) they only queue.
  c->sched = nullptr;
  c->desc = nullptr;
}

constexpr int signal_set_impl::max_signal;

} // namespace detail
} // namespace blitz
