// The type-erased part of signal_set; compiled once in libs/sync/signal_set.cpp, which
// explains the process-wide machinery (self-pipe, per-context readers, delivery).
#ifndef BLITZ_DETAIL_SIGNAL_SET_IMPL_HPP
#define BLITZ_DETAIL_SIGNAL_SET_IMPL_HPP

#include <blitz/detail/op.hpp>
#include <blitz/detail/op_queue.hpp>

#include <boost/system/error_code.hpp>
#include <bitset>
#include <csignal>
#include <cstdint>

namespace blitz {
namespace detail {

class scheduler;
struct signal_context;
class signal_set_impl;

// An async_wait: completes with the number of the signal that arrived.
class signal_wait_op : public result_op
{
public:
  int signo_ = 0;
  // The set whose waiters list holds this wait, null once it left it (delivered or
  // cancelled): what a per-operation cancel looks for. Guarded by the registry's lock.
  signal_set_impl* set_ = nullptr;

protected:
  explicit signal_wait_op(func_type f) noexcept : result_op(f) {}
};

class signal_set_impl
{
public:
  // Signal numbers are 1 .. max_signal - 1 (NSIG covers the real-time signals too).
  static constexpr int max_signal = NSIG;

  // Throws system_error if the process-wide pipe cannot be created or watched.
  explicit signal_set_impl(scheduler& s);
  // Removes every signal and completes pending waits with operation_aborted.
  ~signal_set_impl();
  signal_set_impl(const signal_set_impl&) = delete;
  signal_set_impl& operator=(const signal_set_impl&) = delete;

  void add(int signo, boost::system::error_code& ec);
  void remove(int signo, boost::system::error_code& ec);
  void clear(boost::system::error_code& ec);
  void cancel(boost::system::error_code& ec);

  // Counts o as work; it completes through the scheduler, never inline: at once (posted)
  // if a signal is already queued for this set, else when one arrives.
  void start_wait(signal_wait_op* o);
  // Per-operation cancellation of one wait (its handler's cancellation slot): it completes
  // with operation_aborted unless a signal or cancel() has completed it already. Needs no
  // set: the wait knows its own, and one whose set is gone has completed.
  static void cancel_wait(signal_wait_op* o);
  // io_context::shutdown: cancel() on every set of the context; returns how many waits
  // that completed with operation_aborted.
  static std::size_t cancel_all(scheduler& s);
  // The context's destruction: moves the pending waits of every set on s into doomed, to
  // be destroyed without being invoked (a handler may own its set, as Asio sessions own
  // their sockets). Called until nothing is left; then orphan(s).
  static void abandon_waits(scheduler& s, op_queue& doomed) noexcept;
  // The context's destruction, last: sets that outlive s (against the rules, as for every
  // I/O object) stop watching the pipe through it and never reach it again; a context
  // created later at the same address starts afresh.
  static void orphan(scheduler& s) noexcept;

  // Used by the process-wide registry, under its lock.
  scheduler& sched() const noexcept { return *sched_; }
  signal_context* context() const noexcept { return ctx_; }
  bool has(int signo) const noexcept { return registered_.test(static_cast<std::size_t>(signo)); }
  // A signal arrived: complete one waiting op, or queue it for the next async_wait.
  void deliver(int signo);

private:
  friend struct signal_registry;

  scheduler* sched_;
  signal_context* ctx_ = nullptr;
  std::bitset<max_signal> registered_;
  // Signals that arrived with no wait pending, per number: the next waits take them.
  std::uint32_t undelivered_[max_signal] = {};
  op_queue waiters_;
};

} // namespace detail
} // namespace blitz

#endif
