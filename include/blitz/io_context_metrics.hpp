// What an io_context has done and what it holds, as io_context::metrics() reports it. The
// counts are cumulative from the context's construction; a snapshot taken while other
// threads run the context is a consistent-enough view for monitoring, not an atomic one.
#ifndef BLITZ_IO_CONTEXT_METRICS_HPP
#define BLITZ_IO_CONTEXT_METRICS_HPP

#include <cstdint>

namespace blitz {

struct io_context_metrics
{
  // Handlers the scheduler ran: completions, posted handlers, timer waits (a strand's
  // batch of handlers counts once). Counted per thread and added up when a thread waits for
  // work, reaps, or leaves run().
  std::uint64_t handlers_run = 0;
  // I/O operations in the backend now: in the kernel (io_uring) or parked until the
  // descriptor is ready (epoll).
  std::uint64_t ops_pending = 0;
  // I/O operations handed to the backend, by kind (sockets, descriptors, and files on
  // io_uring; epoll runs regular-file I/O on the blocking pool, not counted here). One
  // that fails before reaching it (a closed socket) is not counted; a signal_set's wait on
  // its self-pipe counts as a readiness wait.
  std::uint64_t receives = 0; // receive, read_some on sockets, receive_from
  std::uint64_t sends = 0;    // send, write_some on sockets, send_to
  std::uint64_t reads = 0;    // descriptor and file reads
  std::uint64_t writes = 0;   // descriptor and file writes
  std::uint64_t accepts = 0;
  std::uint64_t connects = 0;
  std::uint64_t readiness_waits = 0; // wait(wait_read / wait_write / wait_error)
  // Timers armed and not yet due, and timers that came due.
  std::uint64_t timers_pending = 0;
  std::uint64_t timers_fired = 0;
  // How often a thread blocked for lack of work (in the backend, or waiting for another
  // thread that reaps it), and for how long in all (ns). A blocking backend call is timed
  // whole, with the reaping of what woke it.
  std::uint64_t waits = 0;
  std::uint64_t wait_ns = 0;
};

} // namespace blitz

#endif
