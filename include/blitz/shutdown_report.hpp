// What io_context::shutdown(grace) did (not in Asio): whether the context finished its
// work within the grace period, what it cancelled when it did not, and what was left. The
// counts are exact when no other thread runs the context; otherwise they are a snapshot.
#ifndef BLITZ_SHUTDOWN_REPORT_HPP
#define BLITZ_SHUTDOWN_REPORT_HPP

#include <chrono>
#include <cstddef>

namespace blitz {

struct shutdown_report
{
  // The context ran out of work within the grace period: nothing was cancelled.
  bool drained = false;
  // Handlers shutdown() ran on its own thread, before and after cancelling (other threads
  // running the context meanwhile run more).
  std::size_t handlers_run = 0;
  // I/O operations pending when the grace period ended: each completed with
  // operation_aborted, unless it had finished by then (on io_uring, one whose completion
  // the kernel had posted but the context not yet reaped keeps its result). A context with
  // a signal_set waiting counts one more here, its wait on the signal pipe. Work on the
  // blocking pool (resolves; file I/O under epoll) cannot be interrupted and is not here.
  std::size_t io_cancelled = 0;
  // Timer waits and signal_set waits completed with operation_aborted.
  std::size_t timers_cancelled = 0;
  std::size_t signal_waits_cancelled = 0;
  // Work still outstanding when the cancellation grace ran out too: work guards, waits on
  // channels and async locks (the application ends those, by closing the channel, say),
  // operations started after the cancellation, handlers that keep posting. shutdown()
  // then stops the context; what is left is destroyed with it, never invoked.
  std::size_t abandoned = 0;
  std::chrono::nanoseconds elapsed{0};
};

} // namespace blitz

#endif
