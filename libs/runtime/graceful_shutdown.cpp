// io_context::shutdown(grace, cancel_grace): drain, then cancel, then give up.
//
//  1. Drain: the calling thread runs the context (with any other threads running it) until
//     it runs out of work or `grace` has passed. A server that has closed its acceptor
//     finishes the requests in progress here, exactly as run() would.
//  2. Cancel: every timer wait, signal_set wait and I/O operation still pending completes
//     with operation_aborted, and the context runs on for up to `cancel_grace`, so that
//     those handlers release what they hold (sessions, buffers, sockets) and whatever they
//     start in turn (a last write) can finish.
//  3. Give up: work that outlives that too (a work guard, a wait on a channel, a handler
//     that re-arms what was cancelled) is reported, and the context is stopped; its
//     handlers are destroyed with the context, never invoked.
//
// Cancellation is a sweep, not a mode: operations started after it run normally. Asio's
// idiom of re-arming an accept or a read whatever its error would otherwise turn phase 2
// into a busy loop of aborts; here such an operation waits, and phase 2 ends at its
// deadline with it counted as abandoned.
//
// Waits on channels and async locks are not cancelled: their meaning (a value lost, a lock
// never granted) is the application's to decide, and it ends them by closing the channel
// or dropping the lock, typically in phase 1. Neither is work on the blocking pool (a
// resolve, file I/O under epoll), which cannot be interrupted: it completes in phase 2 or
// is counted as abandoned.
#include <blitz/detail/backend.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/signal_set_impl.hpp>
#include <blitz/error.hpp>

#include <boost/system/system_error.hpp>

namespace blitz {
namespace detail {

namespace {

std::int64_t deadline_after(std::int64_t now, std::int64_t rel_ns) noexcept
{
  if (rel_ns <= 0)
    return now;
  return rel_ns >= INT64_MAX - now ? INT64_MAX : now + rel_ns;
}

} // namespace

shutdown_report scheduler::shutdown(std::int64_t grace_ns, std::int64_t cancel_grace_ns)
{
  // From one of its own handlers the context cannot drain: that handler is part of the
  // work shutdown would wait for (std::thread::join reports the same error for itself).
  if (running_in_this_thread())
    throw boost::system::system_error(
        boost::system::errc::make_error_code(boost::system::errc::resource_deadlock_would_occur),
        "io_context::shutdown from a handler of the same context");
  // A single_thread context owned by another thread: this one could neither reap its I/O
  // nor submit the cancellation.
  if (!backend_->can_reap())
    throw boost::system::system_error(
        boost::system::errc::make_error_code(boost::system::errc::operation_not_permitted),
        "io_context::shutdown off the thread that runs a single_thread context");

  shutdown_report report;
  const std::int64_t start = now_ns();
  // A context that stop() ended (a signal handler's, typically) still has its work.
  restart();
  report.handlers_run = run_until_ns(deadline_after(start, grace_ns), false);
  if (out_of_work())
  {
    report.drained = true;
    report.elapsed = std::chrono::nanoseconds(now_ns() - start);
    return report;
  }

  // I/O before signal waits: the sweep then finds the context's wait on the signal pipe
  // still pending on both backends, and counts it, where a sweep after the signal waits'
  // cancellation would find it gone on epoll (taken back at once) but still in flight on
  // io_uring (until its cancel completes). Its completion normally re-arms nothing, the
  // signal waits being gone by then; if another runner completes it first, it re-arms the
  // wait, and the signal waits' cancellation cancels that one in turn.
  report.timers_cancelled = cancel_timers();
  report.io_cancelled = backend_->cancel_all();
  report.signal_waits_cancelled = signal_set_impl::cancel_all(*this);
  restart(); // stop() may have been called meanwhile
  report.handlers_run += run_until_ns(deadline_after(now_ns(), cancel_grace_ns), false);
  if (!out_of_work())
  {
    // seq_cst as in out_of_work. Approximate while other threads run: their own counts
    // (handlers they queued, work they used up) are folded in as they stop.
    long left = outstanding_work_.load(std::memory_order_seq_cst);
    report.abandoned = left > 0 ? static_cast<std::size_t>(left) : 0;
    stop();
  }
  report.elapsed = std::chrono::nanoseconds(now_ns() - start);
  return report;
}

} // namespace detail
} // namespace blitz
