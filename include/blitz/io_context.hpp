// io_context: Asio's event loop, on io_uring or epoll chosen at run time.
#ifndef BLITZ_IO_CONTEXT_HPP
#define BLITZ_IO_CONTEXT_HPP

#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/scheduler.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>

namespace blitz {

class io_context
{
public:
  class executor_type;
  class work;
  class strand; // legacy strand, defined in <blitz/io_context_strand.hpp>
  friend class executor_type;

  // Which backend to use; `automatic` also honours BLITZ_IO_BACKEND=uring|epoll.
  using backend_kind = detail::backend_kind;
  struct options
  {
    backend_kind backend = backend_kind::automatic;
    unsigned ring_entries = 256;
    bool sqpoll = false;           // io_uring SQ polling thread (see scheduler_options)
    unsigned sqpoll_idle_ms = 1000;
    unsigned iowq_max_bounded = 0; // io-wq worker caps, 0 = kernel default
    unsigned iowq_max_unbounded = 0;
    bool registered_files = true;  // io_uring: registered-file table (see scheduler_options)
    // Promise that one thread, the first to run the context (with any of run(), run_one(),
    // poll() and the rest), is the only one that ever runs it (other threads may still
    // post, start, cancel and close). On io_uring the ring is then
    // SINGLE_ISSUER|DEFER_TASKRUN: completions are processed in batches when that thread
    // waits, instead of interrupting it. The kernel then takes back its references
    // to a socket (pending operations, the registered-file slot) only from that thread: a
    // socket another thread closes while the owner is not inside run() keeps its
    // connection open until the owner's next turn or the context's destruction.
    bool single_thread = false;
  };

  io_context() : io_context(options()) {}
  // The hint is accepted for Asio compatibility; every context is safe to run from any
  // number of threads.
  explicit io_context(int /*concurrency_hint*/) : io_context(options()) {}
  explicit io_context(const options& o) : impl_(new detail::scheduler(to_scheduler_options(o)))
  {
  }
  io_context(const io_context&) = delete;
  io_context& operator=(const io_context&) = delete;

  // Handlers of operations still pending are destroyed, not invoked.
  ~io_context() = default;

  executor_type get_executor() noexcept;

  std::size_t run() { return impl_->run(); }
  std::size_t run_one() { return impl_->run_one(); }
  std::size_t poll() { return impl_->poll(); }
  std::size_t poll_one() { return impl_->poll_one(); }

  template <class Rep, class Period>
  std::size_t run_for(const std::chrono::duration<Rep, Period>& rel)
  {
    return impl_->run_until_ns(deadline_after(rel), false);
  }
  template <class Clock, class Duration>
  std::size_t run_until(const std::chrono::time_point<Clock, Duration>& abs)
  {
    return impl_->run_until_ns(deadline_after(abs - Clock::now()), false);
  }
  template <class Rep, class Period>
  std::size_t run_one_for(const std::chrono::duration<Rep, Period>& rel)
  {
    return impl_->run_until_ns(deadline_after(rel), true);
  }
  template <class Clock, class Duration>
  std::size_t run_one_until(const std::chrono::time_point<Clock, Duration>& abs)
  {
    return impl_->run_until_ns(deadline_after(abs - Clock::now()), true);
  }

  void stop() { impl_->stop(); }
  bool stopped() const noexcept { return impl_->stopped(); }
  void restart() { impl_->restart(); }
  void reset() { impl_->restart(); } // Asio's pre-1.66 name

  // Graceful shutdown (not in Asio), from a thread outside the context's handlers, after
  // the application has stopped taking new work (closed its acceptors, say). Runs the
  // context, restarted if stop() ended it, until it runs out of work or `grace` passes.
  // Then every pending I/O operation, timer wait and signal_set wait completes with
  // operation_aborted, and the context runs for up to `cancel_grace` more so that those
  // handlers can clean up. Work that still remains (work guards, channel and lock waits,
  // operations started after the cancellation) is left to the context's destruction, and
  // the context is stopped. Other threads may run the context meanwhile.
  // Throws system_error: resource_deadlock_would_occur from one of the context's own
  // handlers; operation_not_permitted on a single_thread context that another thread runs.
  using shutdown_report = blitz::shutdown_report;
  template <class Rep, class Period>
  shutdown_report shutdown(const std::chrono::duration<Rep, Period>& grace)
  {
    return shutdown(grace, std::chrono::seconds(1));
  }
  template <class Rep1, class Period1, class Rep2, class Period2>
  shutdown_report shutdown(const std::chrono::duration<Rep1, Period1>& grace,
                           const std::chrono::duration<Rep2, Period2>& cancel_grace)
  {
    return impl_->shutdown(to_ns(grace), to_ns(cancel_grace));
  }

  // Asio's fork notification, around fork() (fork_prepare before it, then fork_parent or
  // fork_child), while no other thread uses the context. On epoll the child gets an epoll
  // instance and a wakeup of its own, so that sockets it closes (an inherited acceptor,
  // say) keep their registrations in the parent, and every pending operation goes on in
  // the process that runs it. The io_uring backend cannot follow a fork yet and throws
  // system_error (operation_not_supported) at fork_prepare: a program that forks chooses
  // the epoll backend. Not covered on either: signal_sets share the parent's signal pipe,
  // and work on the blocking pool (async_resolve) needs its threads, which a child lacks.
  enum fork_event
  {
    fork_prepare,
    fork_parent,
    fork_child
  };
  void notify_fork(fork_event event) { impl_->notify_fork(static_cast<int>(event)); }

  // "io_uring" or "epoll".
  const char* backend_name() const noexcept { return impl_->backend_name(); }

  // A snapshot of counters and current state (see io_context_metrics).
  using metrics_type = io_context_metrics;
  metrics_type metrics() const { return impl_->metrics(); }
  // When io_uring was wanted (automatic choice) but could not be used: why. Empty otherwise.
  boost::system::error_code backend_fallback_reason() const noexcept
  {
    return impl_->backend_fallback_reason();
  }

  // Legacy io_service members.
  template <class Handler>
  void post(Handler&& h);
  template <class Handler>
  void dispatch(Handler&& h);

  detail::scheduler& impl() noexcept { return *impl_; }

private:
  static detail::scheduler_options to_scheduler_options(const options& o)
  {
    detail::scheduler_options s;
    s.backend = o.backend;
    s.ring_entries = o.ring_entries;
    s.sqpoll = o.sqpoll;
    s.sqpoll_idle_ms = o.sqpoll_idle_ms;
    s.iowq_max_bounded = o.iowq_max_bounded;
    s.iowq_max_unbounded = o.iowq_max_unbounded;
    s.registered_files = o.registered_files;
    s.single_issuer = o.single_thread;
    return s;
  }
  template <class Rep, class Period>
  static std::int64_t deadline_after(const std::chrono::duration<Rep, Period>& rel)
  {
    std::int64_t now = detail::scheduler::now_ns();
    std::int64_t ns = to_ns(rel);
    return ns >= INT64_MAX - now ? INT64_MAX : now + ns;
  }
  // A relative time in nanoseconds, 0 if negative. Saturates: run_for(hours::max()) must
  // mean "a very long time", not overflow.
  template <class Rep, class Period>
  static std::int64_t to_ns(const std::chrono::duration<Rep, Period>& rel)
  {
    using namespace std::chrono;
    if (rel <= duration<Rep, Period>::zero())
      return 0;
    auto ns = duration_cast<duration<double, std::nano>>(rel).count();
    if (ns >= static_cast<double>(INT64_MAX))
      return INT64_MAX;
    return static_cast<std::int64_t>(ns);
  }

  std::unique_ptr<detail::scheduler> impl_;
};

// Asio's pre-1.66 name.
using io_service = io_context;

class io_context::executor_type
{
public:
  io_context& context() const noexcept { return *ctx_; }

  void on_work_started() const noexcept { ctx_->impl_->work_started(); }
  void on_work_finished() const noexcept { ctx_->impl_->work_finished(); }
  bool running_in_this_thread() const noexcept { return ctx_->impl_->running_in_this_thread(); }

  // Runs f inline when the caller is already inside this context's run(), else posts it.
  template <class F, class Alloc = std::allocator<void>>
  void dispatch(F&& f, const Alloc& = Alloc()) const
  {
    if (running_in_this_thread())
    {
      detail::decay_handler_t<F> tmp(std::forward<F>(f));
      tmp();
      return;
    }
    post(std::forward<F>(f));
  }
  template <class F, class Alloc = std::allocator<void>>
  void post(F&& f, const Alloc& = Alloc()) const
  {
    using op_t = detail::post_op<detail::decay_handler_t<F>>;
    ctx_->impl_->post(detail::new_handler_op<op_t>(std::forward<F>(f)));
  }
  // A continuation: from a handler of this context it runs on the same thread, after the
  // current handler, never handed to another thread (Asio's defer).
  template <class F, class Alloc = std::allocator<void>>
  void defer(F&& f, const Alloc& = Alloc()) const
  {
    using op_t = detail::post_op<detail::decay_handler_t<F>>;
    ctx_->impl_->post_continuation(detail::new_handler_op<op_t>(std::forward<F>(f)));
  }
  // P0443-style execute, as Asio 1.81's executors also offer.
  template <class F>
  void execute(F&& f) const
  {
    post(std::forward<F>(f));
  }

  friend bool operator==(const executor_type& a, const executor_type& b) noexcept
  {
    return a.ctx_ == b.ctx_;
  }
  friend bool operator!=(const executor_type& a, const executor_type& b) noexcept
  {
    return a.ctx_ != b.ctx_;
  }

private:
  friend class io_context;
  explicit executor_type(io_context& c) noexcept : ctx_(&c) {}
  io_context* ctx_;
};

inline io_context::executor_type io_context::get_executor() noexcept
{
  return executor_type(*this);
}

template <class Handler>
void io_context::post(Handler&& h)
{
  get_executor().post(std::forward<Handler>(h));
}

template <class Handler>
void io_context::dispatch(Handler&& h)
{
  get_executor().dispatch(std::forward<Handler>(h));
}

// Legacy: keeps run() from returning for lack of work while it exists.
class io_context::work
{
public:
  explicit work(io_context& c) : ctx_(&c) { ctx_->impl_->work_started(); }
  work(const work& other) : ctx_(other.ctx_) { ctx_->impl_->work_started(); }
  work& operator=(const work&) = delete;
  ~work() { ctx_->impl_->work_finished(); }
  io_context& get_io_context() const noexcept { return *ctx_; }
  io_context& get_io_service() const noexcept { return *ctx_; }

private:
  io_context* ctx_;
};

} // namespace blitz

#endif
