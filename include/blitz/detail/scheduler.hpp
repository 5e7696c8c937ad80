// The engine behind io_context: a queue of ready ops, a backend that turns kernel events into
// ready ops, and the timers. Compiled once in libs/runtime; templates reach it only through
// the few members below.
//
// Threads and queues. Any number of threads may call run(). Each running thread has a
// private queue (thread_info) that it alone touches: handlers posted from inside a handler
// and completions it reaped land there without a lock or an atomic. Posts from threads that
// are not running this scheduler go to the lock-free inject_ stack; shared_ (under mutex_)
// holds work that running threads hand to each other. One running thread at
// a time is the reaper: it submits to and waits on the backend with mutex_ released; the
// others wait on a condition variable for shared work (leader/follower, as in Asio).
//
// Sleeping. A thread out of work that was recently fed quickly by a cross-thread post (an
// offload result) first watches inject_ for a few microseconds (spin_for_injected), since
// a reply that close is cheaper to catch than a futex/eventfd wakeup; otherwise, and after
// that, it blocks with the sleepers_/wake_sent_ handshake below.
//
// Work counting. outstanding_work_ counts handlers queued or running, I/O and timer ops in
// flight, and work guards; a handler posted from outside sits in inject_ uncounted (its
// poster would otherwise write a line the running thread writes after every handler), and
// the thread that takes it counts it. run() returns when both are empty (out_of_work). A
// running thread accumulates the work it adds in thread_info::private_work and folds it in
// after each handler, so a handler that re-posts itself touches no atomic; what its
// handlers consume it folds when its queue drains, so a stream of handlers touches none
// either.
#ifndef BLITZ_DETAIL_SCHEDULER_HPP
#define BLITZ_DETAIL_SCHEDULER_HPP

#include <blitz/detail/futex_condition.hpp>
#include <blitz/detail/futex_mutex.hpp>
#include <blitz/detail/inject_stack.hpp>
#include <blitz/detail/op_queue.hpp>
#include <blitz/detail/timer_wheel.hpp>
#include <blitz/io_context_metrics.hpp>
#include <blitz/shutdown_report.hpp>

#include <boost/intrusive/list.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace blitz {
namespace detail {

class backend;
struct thread_info;

enum class backend_kind
{
  automatic, // io_uring when a ring can be created and the opcodes probe, else epoll
  uring,
  epoll
};

struct scheduler_options
{
  backend_kind backend = backend_kind::automatic;
  unsigned ring_entries = 256; // io_uring submission queue size
  // io_uring: a kernel thread polls the SQ, so submission needs no syscall while it is
  // awake (it sleeps after sqpoll_idle_ms without work). Dropped if the kernel refuses it.
  bool sqpoll = false;
  unsigned sqpoll_idle_ms = 1000;
  // io_uring: caps on io-wq workers per NUMA node for bounded (regular file) and unbounded
  // (sockets and the like) blocking work; 0 keeps the kernel's default.
  unsigned iowq_max_bounded = 0;
  unsigned iowq_max_unbounded = 0;
  // io_uring: descriptors with async ops go into a registered-file table (on kernels where
  // that cannot delay a close; see the backend), sparing a file lookup per request.
  bool registered_files = true;
  // io_uring: one thread runs the context (the first to run it, for its whole life), so
  // the ring may be SINGLE_ISSUER|DEFER_TASKRUN. Other threads may still post, start,
  // cancel and close; they hand their submissions to that thread.
  bool single_issuer = false;
};

// A timer's share of the scheduler: its wheel entry and the waits queued on it.
// Derives from the entry so an expired entry leads back to its waiters without offsetof.
struct timer_state : wheel_entry
{
  op_queue waiters;
  // A timer on a clock other than the steady one (system_clock, which can be set): how long
  // until `clock_expiry` (the expiry as that clock's nanoseconds since its epoch) by that
  // clock, asked each time the wheel entry comes due; null for steady timers. Guarded by
  // the scheduler's timer_mutex_.
  std::int64_t (*remaining_ns)(std::int64_t clock_expiry) = nullptr;
  std::int64_t clock_expiry = 0;
};

class scheduler;

// A wait on a timer. It records which timer_state lists it (null once it has left: fired,
// cancelled, or destroyed) so that cancelling this wait alone, through its handler's
// cancellation slot, can find and unlink it; moving a timer re-points its waits. Guarded by
// the scheduler's timer_mutex_.
//
// Not a result_op: a wait has no byte count, and without one the back-pointer fits where
// it was, so a wait with a small handler stays in the 64-byte slab class (one class up, the
// 2^17 pending waits of the timer_fire benchmark outgrew the per-thread cache).
struct timer_wait : op
{
  boost::system::error_code ec_;
  timer_state* timer = nullptr;

protected:
  explicit timer_wait(func_type f) noexcept : op(f) {}
  ~timer_wait() = default;
};

// Ops parked outside the scheduler's own queues, by channels and async locks (see
// sync_waiters): listed with their scheduler so that a context destroyed while such waits
// are pending destroys their handlers, as it does pending timer waits and I/O.
struct parked_waiters : boost::intrusive::list_base_hook<>
{
  op_queue waiting;
};

class scheduler
{
public:
  // Kinds of I/O operation counted by count_op (io_kind's values).
  static constexpr unsigned op_kinds = 11;

  explicit scheduler(const scheduler_options& opts);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  std::size_t run();
  std::size_t run_one();
  // Runs until the steady-clock deadline (ns) passes; returns the handlers run.
  std::size_t run_until_ns(std::int64_t deadline_ns, bool one);
  std::size_t poll();
  std::size_t poll_one();
  void stop();
  bool stopped() const noexcept;
  void restart();
  // io_context::shutdown (graceful_shutdown.cpp): runs for up to grace_ns, then cancels
  // every I/O operation, timer wait and signal wait, and runs for up to cancel_grace_ns
  // more. Throws system_error from a thread that may not run it to completion.
  shutdown_report shutdown(std::int64_t grace_ns, std::int64_t cancel_grace_ns);

  // A handler op that is ready now: counts one unit of work and queues it.
  void post(op* o);
  // The same for a continuation of the running handler (defer): never handed to another
  // thread.
  void post_continuation(op* o);
  // Completion of an op whose work was counted when it started (I/O, timers).
  void post_completion(op* o);
  void post_completions(op_queue& ops);

  void work_started() noexcept;
  void work_finished() noexcept;

  bool running_in_this_thread() const noexcept;
  // Whether I/O this thread starts now reaches the kernel on its own: this thread does not
  // run the context or shares it with others (backends submit such work at once), or it
  // runs it alone with no handler queued behind the current one (it waits next).
  bool starts_alone() const noexcept;

  // A backend starting an I/O operation of kind k (an io_kind): counted by the thread
  // running the context in its own counters (added up like handlers), by any other thread
  // in the shared ones.
  void count_op(unsigned k) noexcept;
  io_context_metrics metrics() const;

  void adopt_parked(parked_waiters& w);
  void release_parked(parked_waiters& w) noexcept;
  // No other thread is inside run() (a hint: a thread may join at any moment).
  bool one_runner() const noexcept { return runners_.load(std::memory_order_relaxed) <= 1; }
  // Some thread is inside run(); a runner flushes the backend before it leaves. Relaxed: a
  // backend reads it under the lock its runner held when it queued work after entering,
  // or flushed before leaving, which orders the increment before the read, and the read
  // after the flush whenever it sees the decrement; a stale count from a runner that has
  // just left costs that backend a bounded wait.
  bool has_runner() const noexcept { return runners_.load(std::memory_order_relaxed) > 0; }

  backend& io() noexcept { return *backend_; }
  // io_context::notify_fork (fork_phase is the backend's: detail/backend.hpp).
  void notify_fork(int phase);
  const char* backend_name() const noexcept;
  // Why the automatic choice did not get io_uring (empty when it did, or when a backend
  // was chosen explicitly).
  boost::system::error_code backend_fallback_reason() const noexcept { return fallback_reason_; }

  // Timers. deadline_ns is on the steady clock. schedule counts the op as work.
  void timer_schedule(timer_state& t, std::int64_t deadline_ns, timer_wait* wait);
  // The same for a clock that can jump: the wheel entry comes due after the time left by
  // that clock, or after clock_recheck_ns if that is sooner, and is re-armed until the clock
  // itself says the expiry has come.
  void timer_schedule(timer_state& t, std::int64_t (*remaining_ns)(std::int64_t),
                      std::int64_t clock_expiry, timer_wait* wait);
  // How long a wait on a clock that can jump may go without looking at that clock: how late
  // a timer fires after the clock was set forward past its expiry.
  static constexpr std::int64_t clock_recheck_ns = 1000000000;
  std::size_t timer_cancel(timer_state& t);
  std::size_t timer_cancel_one(timer_state& t);
  // Per-operation cancellation of one wait: it completes with operation_aborted unless it
  // has already left its timer (fired or cancelled).
  void timer_cancel_wait(timer_wait& w);
  // A timer object moved: its entry and waits go to the new object.
  void timer_move(timer_state& to, timer_state& from);

  static std::int64_t now_ns() noexcept;

private:
  friend struct thread_info;
  std::size_t do_run(std::size_t max_handlers, std::int64_t deadline_ns, bool may_block);
  std::size_t run_handlers(thread_info& ti, std::size_t max_handlers, std::int64_t deadline_ns,
                           bool may_block);
  bool wait_for_work(thread_info& ti, std::int64_t deadline_ns, bool may_block);
  std::size_t reap(thread_info& ti, std::int64_t timeout_ns, std::int64_t now);
  void expire_timers(op_queue& ready, std::int64_t now);
  void arm_timer(timer_state& t, std::int64_t deadline_ns,
                 std::int64_t (*remaining_ns)(std::int64_t), std::int64_t clock_expiry,
                 timer_wait* wait);
  // timer_mutex_ held: hands every wait of t to `to` (with operation_aborted if aborted),
  // marking it gone from its timer. Returns how many.
  static std::size_t take_waits(timer_state& t, op_queue& to, bool aborted) noexcept;
  static std::int64_t recheck_deadline(std::int64_t now, std::int64_t left) noexcept;
  void wake_one_locked(std::unique_lock<futex_mutex>& lock);
  void inject(op* o, bool carries_work);
  void take_injected(thread_info& ti) noexcept;
  void share(op* o);
  void hand_on_locked(std::unique_lock<futex_mutex>& lock);
  bool out_of_work() const noexcept;
  bool settle_work(thread_info& ti) noexcept;
  void arm_wakeup() noexcept;
  bool spin_for_injected(std::int64_t deadline_ns) noexcept;
  void flush_private(thread_info& ti) noexcept;
  void abandon_all() noexcept;
  // Every pending timer wait completes with operation_aborted; returns how many.
  std::size_t cancel_timers();

  std::unique_ptr<backend> backend_;
  boost::system::error_code fallback_reason_;

  // What a thread posting from outside touches, alone on its cache line(s): padding on
  // both sides, since C++14 new does not honour alignas beyond max_align_t. Anything the
  // running thread writes often sharing these lines would bounce them once per post.
  char pad_before_inject_[64];
  inject_stack inject_;
  // Threads that are, or are about to be, asleep (idle on wakeup_, or the reaper blocked in
  // the backend). Raised under mutex_ before the final emptiness check of inject_, read by
  // injecting threads after their push; seq_cst on both sides (see inject_stack::push).
  std::atomic<int> sleepers_{0};
  // Set by the injector that sends the wakeup, cleared by a thread about to sleep (after
  // raising sleepers_, before its last check): one wakeup per sleep, not one per post.
  // seq_cst for the same handshake as sleepers_.
  std::atomic<bool> wake_sent_{true};
  char pad_after_inject_[64];

  // Lock order: mutex_ before timer_mutex_; the backend's own locks are never held while
  // either is taken (the backend calls back into post_completion with no lock held).
  // A futex_mutex with futex_condition: taken twice per blocking wait (see futex_condition).
  mutable futex_mutex mutex_;
  futex_condition wakeup_;
  op_queue shared_;
  bool reaper_active_ = false;   // guarded by mutex_
  bool reaper_waiting_ = false;  // reaper is (about to be) blocked in the backend; mutex_
  int idle_threads_ = 0;         // threads waiting on wakeup_; mutex_
  // Relaxed reads outside mutex_ are hints only (whether to share work); decisions that must
  // not lose a wakeup re-read them under mutex_.
  std::atomic<int> runners_{0};
  // stop() writes under mutex_ and also wakes every thread, so the per-handler check in the
  // run loop only needs to see the flag eventually: relaxed.
  std::atomic<bool> stopped_{false};
  // Increments need no ordering (the op being counted is published by a queue push that
  // has its own synchronisation), except the one a taker of inject_ makes before its
  // exchange (see take_injected). Decrements are seq_cst: acq_rel so the thread that then
  // stops the scheduler observes every handler's effects, seq_cst because out_of_work
  // orders them against inject_'s pushes and exchanges.
  std::atomic<long> outstanding_work_{0};

  // A futex_mutex: the reaper takes it around every wait (see futex_mutex).
  mutable futex_mutex timer_mutex_;
  timer_wheel wheel_;
  // !wheel_.empty(), written under timer_mutex_ after every change to the wheel, read by the
  // reaper without the lock to skip it when no timer is armed. Relaxed: a reaper that reads
  // a stale false sleeps with reaper_wake_ns_ at INT64_MAX, so a concurrent arm interrupts
  // it (arm_timer), and the interrupt's trip through mutex_ orders the next read after the
  // store (see reap).
  std::atomic<bool> timers_armed_{false};
  void note_wheel_changed() noexcept { timers_armed_.store(!wheel_.empty(), std::memory_order_relaxed); }
  std::uint64_t timers_fired_ = 0; // guarded by timer_mutex_
  // Earliest deadline the reaper is sleeping towards; a timer armed from another thread
  // with an earlier deadline must interrupt it. Guarded by timer_mutex_.
  std::int64_t reaper_wake_ns_ = INT64_MAX;

  // metrics(): relaxed counters (statistics, ordered against nothing), after the hot
  // fields so that counting never shares a line with them.
  void flush_counts(thread_info& ti) noexcept;
  // Lock order: parked_mutex_ is taken alone (abandon_all moves the parked ops out under it
  // and destroys them after releasing it, since their handlers may destroy primitives).
  std::mutex parked_mutex_;
  boost::intrusive::list<parked_waiters, boost::intrusive::constant_time_size<false>>
      parked_lists_;

  char pad_before_metrics_[64];
  std::atomic<std::uint64_t> handlers_run_{0};
  std::atomic<std::uint64_t> waits_{0};
  std::atomic<std::uint64_t> wait_ns_{0};
  std::atomic<std::uint64_t> ops_started_[op_kinds] = {};
};

} // namespace detail
} // namespace blitz

#endif
