// Threads for calls that block and have no asynchronous form on the backend in use:
// getaddrinfo, file I/O under epoll. Kept apart from the I/O threads (which must never
// block) and from the CPU pool (whose workers are sized to the cores and would be starved).
#ifndef BLITZ_DETAIL_BLOCKING_POOL_HPP
#define BLITZ_DETAIL_BLOCKING_POOL_HPP

#include <functional>

namespace blitz {
namespace detail {

class blocking_pool
{
public:
  // The process-wide pool. Threads start on demand (up to a cap) and exit after being
  // idle for a while, so a program that never blocks pays nothing.
  static blocking_pool& global();

  // Runs task on a pool thread. The caller accounts for its own work (typically
  // scheduler::work_started before, post_completion from inside the task).
  void submit(std::function<void()> task);

  // Threads currently alive (for tests and metrics).
  unsigned threads() const;

private:
  blocking_pool() = default;
  struct state;
  state* state_ = nullptr;
};

} // namespace detail
} // namespace blitz

#endif
