// The run loop: running threads, posting, waiting for work and reaping the backend. See
// include/blitz/detail/scheduler.hpp for the threading and work model. Timers are in
// scheduler_timers.cpp, the end of a scheduler in scheduler_teardown.cpp and
// graceful_shutdown.cpp.
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/backend.hpp>

#include <blitz/detail/cpu_relax.hpp>
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/slab_pool.hpp>
#include <blitz/error.hpp>

#include <ctime>
#include <thread>

namespace blitz {
namespace detail {

// One per thread inside run() of a scheduler; threads that nest run() of several schedulers
// (a handler of one context running another) form a stack.
//
// Lives on do_run's stack and is written after every handler. Its own cache lines: the
// frame of run()'s caller lies right above it, and holds what other threads read on every
// post (the io_context pointer, variables their handlers capture); sharing a line with it
// measured 2-3x slower cross-thread posting. (alignas is honoured for automatic objects.)
struct alignas(64) thread_info
{
  scheduler* owner;
  thread_info* next;
  op_queue private_q;
  // Work this thread added (positive) or used up (negative) and has not yet folded into
  // outstanding_work_. Negative only while private_q is non-empty: those ops are counted,
  // so the shared count cannot reach zero early meanwhile (see settle_work).
  long private_work = 0;
  // Whether this thread's last wait for work was ended by a cross-thread post within
  // fed_window_ns of the thread running out of work: another thread is feeding it (an
  // offload round trip, a producer posting in a loop), so spinning before the next sleep
  // likely saves a wakeup. False until that has been seen, so a thread fed only by I/O or
  // timers never spins; cleared by a spin that found nothing.
  bool fed_quickly = false;
  // Waits still to block without spinning, and how many the next failed spin skips
  // (max_spin_backoff). Zero while spins keep succeeding.
  unsigned spin_skip = 0;
  unsigned spin_backoff = 0;
  // Handlers run since the backend was last reaped for this thread (by it, or by another
  // runner while this one waited). A wait that ends with a cross-thread post found at once
  // or by the spin does not reap, so it does not reset this: a thread kept busy by a
  // stream of posts still reaps I/O and timers every reap_every handlers.
  unsigned since_reap = 0;
  // Completions the last reap for this thread handed over: their handlers do not count
  // towards the next periodic reap. A batch of I/O completions is not a handler starving
  // I/O, and reaping again in the middle of it would cost an extra io_uring_enter (or
  // epoll_wait) every reap_interval completions: at 256 busy connections a third more
  // syscalls than the batch needs.
  std::size_t reap_credit = 0;
  // Handlers between two periodic reaps: reap_interval while handlers are quick, fewer
  // while they are slow, so that I/O and timers wait for about reap_budget_ns of handler
  // time, not for reap_interval long handlers (61 handlers of 5 ms each held a due timer
  // back 300 ms; Asio looks at its reactor once per pass through its queue). Set at each
  // periodic reap from the pace of the handlers since the last reap; starts low, so that
  // slow handlers are caught from the first.
  unsigned reap_every = 1;
  // When the handlers counted in since_reap began to run (a clock reading, -1 unknown).
  std::int64_t reap_period_start = -1;
  // Handlers run and I/O operations started by this thread, not yet added to the shared
  // counters metrics() reads: one shared RMW per batch instead of one per handler or op,
  // and none on a line other runners write.
  std::uint64_t handlers_unflushed = 0;
  std::uint32_t ops_unflushed[scheduler::op_kinds] = {};
  std::uint32_t kinds_unflushed = 0; // bit k set: ops_unflushed[k] != 0
  // Blocking waits and the time spent in them, likewise.
  std::uint64_t waits_unflushed = 0;
  std::uint64_t wait_ns_unflushed = 0;
};

namespace {

thread_local thread_info* this_thread_top = nullptr;

thread_info* find_thread_info(const scheduler* s) noexcept
{
  for (thread_info* ti = this_thread_top; ti; ti = ti->next)
    if (ti->owner == s)
      return ti;
  return nullptr;
}

// Slab depot batches (256 blocks each) a thread about to block frees between two looks at
// inject_.
constexpr std::size_t trim_chunk_batches = 16;

// Handlers run between two non-blocking reaps of the backend while the private queue never
// drains: bounds how long a self-reposting handler can delay I/O and cross-thread posts
// (Tokio's event_interval plays the same role).
constexpr unsigned reap_interval = 61;
// The handler time after which a thread whose queue never drains looks at I/O and timers
// again, however few handlers that was (see thread_info::reap_every).
constexpr std::int64_t reap_budget_ns = 1000000;

// How long a thread that was fed quickly (thread_info::fed_quickly) watches inject_ before
// it blocks. Waking a blocked thread costs a futex or eventfd write plus a scheduler (and,
// in a VM, a halted-vCPU) wakeup: 5-10 us on bare metal, 15-40 us measured on a 2-vCPU
// guest. A cross-thread reply that comes sooner than this is caught by the spin; one that
// comes later was going to pay for a sleep anyway, and the spin costs at most this much
// CPU before the thread sleeps as before.
constexpr std::int64_t spin_window_ns = 20000;
// After a spin that found nothing, the next spins are skipped, for 1, 2, 4 ... up to this
// many waits while they keep failing: on an oversubscribed machine the feeding thread is
// often not running, and failed spins would only take the core from it (and from others).
constexpr unsigned max_spin_backoff = 64;
// A post that ends a wait within this long of the thread running out of work counts as
// feeding it quickly. Longer than the spin window: the time includes the wakeup when the
// thread did block, and a wakeup alone can exceed the window, so with the window as the
// bound a thread that once blocked would never measure a reply as quick again and never
// go back to spinning.
constexpr std::int64_t fed_window_ns = 100000;

// Spinning only helps when the thread that will post can run meanwhile.
bool may_spin() noexcept
{
  static const bool multi_core = std::thread::hardware_concurrency() > 1;
  return multi_core;
}

} // namespace

scheduler::scheduler(const scheduler_options& opts)
  : wheel_(now_ns())
{
  backend_ = make_backend(*this, opts, fallback_reason_);
}

std::int64_t scheduler::now_ns() noexcept
{
  ::timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const char* scheduler::backend_name() const noexcept { return backend_->name(); }

void scheduler::notify_fork(int phase) { backend_->notify_fork(static_cast<fork_phase>(phase)); }

bool scheduler::running_in_this_thread() const noexcept
{
  return find_thread_info(this) != nullptr;
}

bool scheduler::starts_alone() const noexcept
{
  thread_info* ti = find_thread_info(this);
  return !ti || !one_runner() || ti->private_q.empty();
}

void scheduler::work_started() noexcept
{
  outstanding_work_.fetch_add(1, std::memory_order_relaxed);
}

void scheduler::work_finished() noexcept
{
  // seq_cst (not just acq_rel): out_of_work orders this against inject_'s pushes.
  if (outstanding_work_.fetch_sub(1, std::memory_order_seq_cst) == 1 && out_of_work())
    stop();
}

// No counted work and no post waiting in inject_. Posts there are not counted yet; one
// taken between the two looks at the count was counted before it was taken (take_injected
// raises the count ahead of its exchange), so the second look sees it. seq_cst loads: the
// argument needs one total order over these, the pushes and the taker's increment.
bool scheduler::out_of_work() const noexcept
{
  return outstanding_work_.load(std::memory_order_seq_cst) == 0 && inject_.empty() &&
         outstanding_work_.load(std::memory_order_seq_cst) == 0;
}

// Folds ti.private_work into outstanding_work_; true when that brought the count to zero
// (the caller then checks out_of_work and stops).
bool scheduler::settle_work(thread_info& ti) noexcept
{
  long delta = ti.private_work;
  ti.private_work = 0;
  if (delta > 0)
    outstanding_work_.fetch_add(delta, std::memory_order_relaxed);
  // seq_cst as in work_finished.
  else if (delta < 0)
    return outstanding_work_.fetch_sub(-delta, std::memory_order_seq_cst) == -delta;
  return false;
}

void scheduler::post(op* o)
{
  if (thread_info* ti = find_thread_info(this))
  {
    // Another thread runs this context and sleeps: the handler goes to it now, as Asio's
    // post does, rather than waiting behind the handler running here (which may block
    // until the posted one has run). Relaxed loads: hints, both; a thread falling asleep
    // just after them is offered this thread's queue when the current handler returns.
    if (__builtin_expect(sleepers_.load(std::memory_order_relaxed) > 0, 0) &&
        runners_.load(std::memory_order_relaxed) > 1)
    {
      share(o);
      return;
    }
    ++ti->private_work;
    ti->private_q.push(o);
    return;
  }
  // Uncounted: whoever takes it from inject_ counts it.
  inject(o, true);
}

__attribute__((noinline)) void scheduler::share(op* o)
{
  work_started();
  std::unique_lock<futex_mutex> lock(mutex_);
  shared_.push(o);
  wake_one_locked(lock);
}

// Asio's continuation (defer, or a strand's runner queuing itself again): from a runner it
// stays on this thread and runs after the current handler, with no lock and no wakeup.
void scheduler::post_continuation(op* o)
{
  if (thread_info* ti = find_thread_info(this))
  {
    ++ti->private_work;
    ti->private_q.push(o);
    return;
  }
  inject(o, true);
}

void scheduler::post_completion(op* o)
{
  if (thread_info* ti = find_thread_info(this))
  {
    ti->private_q.push(o);
    return;
  }
  inject(o, false);
}

void scheduler::post_completions(op_queue& ops)
{
  if (ops.empty())
    return;
  if (thread_info* ti = find_thread_info(this))
  {
    ti->private_q.push(ops);
    return;
  }
  while (!ops.empty())
    inject(ops.pop(), false);
}

void scheduler::inject(op* o, bool carries_work)
{
  inject_.push(o, carries_work);
  // Only when somebody sleeps does the poster pay for the lock and the wakeup, and only
  // the first poster after the sleeper's last check: the others' ops ride on that wakeup.
  if (sleepers_.load(std::memory_order_seq_cst) > 0 &&
      !wake_sent_.exchange(true, std::memory_order_seq_cst))
  {
    std::unique_lock<futex_mutex> lock(mutex_);
    wake_one_locked(lock);
  }
}

void scheduler::take_injected(thread_info& ti) noexcept
{
  // Whoever looks at inject_ consumes the pending wakeup: from now on the next injector
  // must wake a sleeper again. Without this, a woken thread busy in a long handler would
  // leave the flag set and later posts would never wake the other sleepers (the reaper
  // blocked in the backend). Cleared before the look, so a push that saw the flag still
  // set is taken by this very look.
  if (wake_sent_.load(std::memory_order_relaxed))
    wake_sent_.store(false, std::memory_order_seq_cst);
  if (!inject_.maybe_nonempty())
    return;
  // Counts one unit before the exchange, so that no thread finds the context out of work
  // while the ops are between inject_ and this thread's count (see out_of_work); seq_cst
  // for that argument. It stands for one of the taken posts, or is owed back when the
  // batch held none (completions only, or another thread took the stack first).
  outstanding_work_.fetch_add(1, std::memory_order_seq_cst);
  ti.private_work += static_cast<long>(inject_.take_all(ti.private_q)) - 1;
}

// Called with sleepers_ already raised, right before the final look at inject_: from here on
// the next injector must send a wakeup.
void scheduler::arm_wakeup() noexcept
{
  wake_sent_.store(false, std::memory_order_seq_cst);
}

// Called without mutex_, by a thread that would otherwise block: watches inject_ until it
// is non-empty (true), or spin_window_ns passed, the deadline came or the scheduler stopped
// (false). Only a delay before the usual path: the caller looks at everything again under
// mutex_ afterwards, so nothing here needs to synchronise (the op is taken by
// take_injected's acquire exchange, not by this look).
bool scheduler::spin_for_injected(std::int64_t deadline_ns) noexcept
{
  std::int64_t end = now_ns() + spin_window_ns;
  if (deadline_ns >= 0 && deadline_ns < end)
    end = deadline_ns;
  for (;;)
  {
    // A look every 8 pauses (~0.2 us on a current x86), not every pause: while a producer
    // posts in a loop, each look pulls inject_'s line away from it and makes its next push
    // miss; looking this much less often keeps that cost small and lets a few posts batch
    // up, at ~0.1 us of extra latency for a lone reply.
    for (int i = 0; i < 8; ++i)
    {
      if (!inject_.empty())
        return true;
      for (int j = 0; j < 8; ++j)
        cpu_relax();
    }
    // Relaxed: a hint; stop() also wakes sleepers, and the caller re-checks under mutex_.
    if (stopped_.load(std::memory_order_relaxed) || now_ns() >= end)
      return false;
  }
}

void scheduler::wake_one_locked(std::unique_lock<futex_mutex>& lock)
{
  if (idle_threads_ > 0)
  {
    lock.unlock();
    wakeup_.notify_one();
  }
  else if (reaper_waiting_)
  {
    // The only thread that could run the op is blocked in the kernel.
    lock.unlock();
    backend_->interrupt();
  }
}

void scheduler::stop()
{
  std::unique_lock<futex_mutex> lock(mutex_);
  stopped_.store(true, std::memory_order_relaxed);
  bool interrupt = reaper_waiting_;
  lock.unlock();
  wakeup_.notify_all();
  if (interrupt)
    backend_->interrupt();
}

bool scheduler::stopped() const noexcept
{
  return stopped_.load(std::memory_order_relaxed);
}

void scheduler::restart()
{
  std::lock_guard<futex_mutex> lock(mutex_);
  stopped_.store(false, std::memory_order_relaxed);
}

std::size_t scheduler::run() { return do_run(SIZE_MAX, -1, true); }
std::size_t scheduler::run_one() { return do_run(1, -1, true); }
std::size_t scheduler::poll() { return do_run(SIZE_MAX, -1, false); }
std::size_t scheduler::poll_one() { return do_run(1, -1, false); }
std::size_t scheduler::run_until_ns(std::int64_t deadline_ns, bool one)
{
  return do_run(one ? 1 : SIZE_MAX, deadline_ns < 0 ? 0 : deadline_ns, true);
}

void scheduler::flush_private(thread_info& ti) noexcept
{
  if (settle_work(ti) && out_of_work())
    stop();
  // Relaxed: nobody asleep, nothing to hand on (run_one() and poll_one() loops skip the
  // lock). A thread that went to sleep because this one was reaping raised the count
  // under mutex_ before this thread took it to end that reap, so it is seen here.
  if (ti.private_q.empty() && sleepers_.load(std::memory_order_relaxed) == 0)
    return;
  std::unique_lock<futex_mutex> lock(mutex_);
  if (!ti.private_q.empty())
  {
    shared_.push(ti.private_q);
    wake_one_locked(lock);
    return;
  }
  // This thread may have been the last to reap (a periodic reap, then a deadline or a
  // throwing handler ended its run): an idle thread asleep meanwhile becomes the reaper.
  hand_on_locked(lock);
}

std::size_t scheduler::do_run(std::size_t max_handlers, std::int64_t deadline_ns, bool may_block)
{
  if (out_of_work())
  {
    stop();
    return 0;
  }
  // A handler calling run(), run_one() or poll() of its own context again, as Asio allows:
  // the nested call works through this thread's queue, where the handlers queued behind
  // the current one wait. A queue of its own would not see them (a nested poll() found
  // nothing, and a nested run_one() slept until some I/O or timer happened to complete).
  if (thread_info* outer = find_thread_info(this))
    return run_handlers(*outer, max_handlers, deadline_ns, may_block);

  thread_info ti{this, nullptr, {}, 0};
  struct scope
  {
    scheduler& s;
    thread_info& ti;
    scope(scheduler& sch, thread_info& t) : s(sch), ti(t)
    {
      ti.next = this_thread_top;
      this_thread_top = &ti;
      // Relaxed: runners_ only steers how eagerly work is shared and whether a close on
      // another thread waits for this one (has_runner), never correctness.
      s.runners_.fetch_add(1, std::memory_order_relaxed);
    }
    ~scope()
    {
      s.flush_counts(ti);
      this_thread_top = ti.next;
      // What this turn queued reaches the kernel now, not at the next run(), which may
      // never come (run_one() and poll_one() return after a handler, stop() after the
      // current one). Before the runner count drops: a closing thread that sees no runner
      // relies on it (has_runner).
      s.backend_->flush();
      s.runners_.fetch_sub(1, std::memory_order_relaxed);
      s.flush_private(ti);
    }
  } guard(*this, ti);
  return run_handlers(ti, max_handlers, deadline_ns, may_block);
}

std::size_t scheduler::run_handlers(thread_info& ti, std::size_t max_handlers,
                                    std::int64_t deadline_ns, bool may_block)
{
  // Accounts for the work a handler added (private_work) and the unit it consumed, also
  // when the handler throws: a net gain is folded into the shared count at once (the new
  // ops may go to other threads), a net use is owed until the queue drains.
  struct handler_scope
  {
    scheduler& s;
    thread_info& ti;
    ~handler_scope()
    {
      if (--ti.private_work > 0)
        s.settle_work(ti);
    }
  };

  std::size_t n = 0;
  for (;;)
  {
    if (stopped_.load(std::memory_order_relaxed))
      break;
    if (ti.private_q.empty())
    {
      if (!wait_for_work(ti, deadline_ns, may_block))
        break;
      continue;
    }
    op* o = ti.private_q.pop();
    // A large batch from inject_ no longer fits the cache after take_all's walk; fetching
    // ahead overlaps its misses instead of taking them one by one.
    __builtin_prefetch(inject_stack::run_hint(o));
    {
      handler_scope hs{*this, ti};
      ++ti.handlers_unflushed; // before: a handler that throws has run too
      o->complete(this);
    }
    if (ti.private_q.empty() && settle_work(ti) && out_of_work())
      stop();
    if (++n >= max_handlers)
      break;
    // run_for/run_until: the deadline bounds the handlers run, not only the waits, as in
    // Asio (which reads the clock before each handler): a stream of handlers that keeps
    // re-posting itself would otherwise hold the caller past it for as long as it lasts.
    // The clock is read only when there is a deadline.
    if (deadline_ns >= 0 && now_ns() >= deadline_ns)
      break;
    if (++ti.since_reap >= ti.reap_every + ti.reap_credit)
    {
      // One clock reading per period (every reap_interval handlers while they are quick).
      std::int64_t now = now_ns();
      if (ti.reap_period_start >= 0)
      {
        std::int64_t took = now - ti.reap_period_start;
        std::uint64_t fit = took > 0 ? static_cast<std::uint64_t>(ti.since_reap) *
                                           static_cast<std::uint64_t>(reap_budget_ns) /
                                           static_cast<std::uint64_t>(took)
                                     : reap_interval;
        ti.reap_every = fit < 1 ? 1u : fit > reap_interval ? reap_interval
                                                           : static_cast<unsigned>(fit);
      }
      ti.reap_period_start = now;
      ti.since_reap = 0;
      ti.reap_credit = 0;
      flush_counts(ti);
      // Fairness: I/O completions, expired timers and cross-thread posts get their turn
      // even while handlers keep re-posting themselves.
      take_injected(ti);
      std::unique_lock<futex_mutex> lock(mutex_);
      ti.private_q.push(shared_);
      if (!reaper_active_ && backend_->can_reap())
      {
        reaper_active_ = true;
        lock.unlock();
        ti.reap_credit = reap(ti, 0, now);
        lock.lock();
        reaper_active_ = false;
      }
    }
    // Not an else: with slow handlers the periodic reap comes after every one, and the
    // other runners must still be offered the rest.
    if (runners_.load(std::memory_order_relaxed) > 1 && !ti.private_q.empty())
    {
      // Other threads run this scheduler: keep the next op, offer the rest to a thread
      // that is idle or asleep in the backend rather than running it all here.
      std::unique_lock<futex_mutex> lock(mutex_);
      if (idle_threads_ > 0 || reaper_waiting_)
      {
        op* next = ti.private_q.pop();
        if (!ti.private_q.empty())
        {
          // Posts the periodic reap just took from inject_ are counted only in
          // private_work: folded first, or the thread that runs them could bring the
          // shared count to zero and stop the context while this one still holds work.
          // Relaxed (settle_work's increment) suffices: the taker gets the ops through
          // mutex_, which orders its decrements after this increment.
          if (ti.private_work > 0)
            settle_work(ti);
          shared_.push(ti.private_q);
          wake_one_locked(lock);
        }
        ti.private_q.push(next);
      }
    }
  }
  return n;
}

bool scheduler::wait_for_work(thread_info& ti, std::int64_t deadline_ns, bool may_block)
{
  flush_counts(ti);
  std::unique_lock<futex_mutex> lock(mutex_);
  bool reaped = false;
  bool flushed = false;
  bool spun = false;
  std::int64_t idle_since = -1; // when this thread first found nothing to do
  for (;;)
  {
    // A wait in this loop ended without work for this thread: publish it before the next.
    if (ti.waits_unflushed != 0)
      flush_counts(ti);
    if (stopped_.load(std::memory_order_relaxed))
      return false;
    if (!shared_.empty() && runners_.load(std::memory_order_relaxed) <= 1)
    {
      // What an earlier run_one() or poll_one(), or a handler that threw, left behind
      // (flush_private) is older than anything still in inject_: with one thread running
      // the context it runs first, so that posts keep their order, as in Asio.
      ti.private_q.push(shared_);
      take_injected(ti);
      return true;
    }
    take_injected(ti);
    if (!ti.private_q.empty())
    {
      // private_q is empty on entry and every path that fills it otherwise returns: this
      // work was posted from another thread.
      ti.fed_quickly = idle_since < 0 || now_ns() - idle_since <= fed_window_ns;
      return true;
    }
    // A take that found only what another thread had already taken leaves a unit owed.
    settle_work(ti);
    if (!shared_.empty())
    {
      if (runners_.load(std::memory_order_relaxed) > 1)
        ti.private_q.push(shared_.pop());
      else
        ti.private_q.push(shared_);
      return true;
    }
    if (out_of_work())
    {
      stopped_.store(true, std::memory_order_relaxed);
      bool interrupt = reaper_waiting_;
      lock.unlock();
      wakeup_.notify_all();
      if (interrupt)
        backend_->interrupt();
      return false;
    }
    std::int64_t now = now_ns();
    if (idle_since < 0)
      idle_since = now;
    if (deadline_ns >= 0 && now >= deadline_ns && reaped)
      return false;
    if (reaped && !may_block)
      return false;
    if (may_block && !spun && ti.fed_quickly && may_spin() &&
        (deadline_ns < 0 || now < deadline_ns))
    {
      // About to block (in the backend or on wakeup_) right after another thread fed this
      // one quickly: watch inject_ a little first. mutex_ is released meanwhile so other
      // runners are not held up, and everything is looked at again afterwards. I/O
      // completions and timers wait for the reap at most spin_window_ns longer when the
      // spin finds nothing, and at most reap_every handlers (ti.since_reap) when posts
      // keep arriving.
      spun = true;
      if (ti.spin_skip > 0)
      {
        --ti.spin_skip; // backing off after failed spins: block at once this time
      }
      else
      {
        lock.unlock();
        bool found = spin_for_injected(deadline_ns);
        lock.lock();
        if (found)
        {
          ti.spin_backoff = 0;
        }
        else
        {
          ti.fed_quickly = false; // the next wait blocks at once; re-armed if fed quickly
          ti.spin_backoff = ti.spin_backoff == 0 ? 1 : ti.spin_backoff * 2;
          if (ti.spin_backoff > max_spin_backoff)
            ti.spin_backoff = max_spin_backoff;
          ti.spin_skip = ti.spin_backoff;
        }
        continue;
      }
    }
    // A thread the backend will not let reap (an io_uring ring owned by another thread)
    // runs handlers only: it waits below like a follower.
    if (!reaper_active_ && backend_->can_reap())
    {
      std::int64_t timeout = -1;
      if (!may_block)
        timeout = 0;
      else if (deadline_ns >= 0)
        timeout = deadline_ns > now ? deadline_ns - now : 0;
      reaper_active_ = true;
      reaper_waiting_ = timeout != 0;
      if (reaper_waiting_)
      {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        arm_wakeup();
      }
      lock.unlock();
      std::size_t reaped_now = reap(ti, timeout, now);
      lock.lock();
      if (reaper_waiting_)
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      reaper_active_ = false;
      reaper_waiting_ = false;
      reaped = true;
      ti.since_reap = 0;
      ti.reap_credit = reaped_now;
      if (idle_threads_ > 0)
      {
        // Leader/follower: hand the backend to a waiting thread and, if this thread reaped
        // more than one completion, share the rest with it.
        if (!ti.private_q.empty())
        {
          op* first = ti.private_q.pop();
          shared_.push(ti.private_q);
          ti.private_q.push(first);
        }
        wakeup_.notify_one();
      }
      if (!ti.private_q.empty())
        return true;
      continue;
    }
    if (!may_block)
      return false;
    if (!flushed)
    {
      // About to sleep while another thread reaps: submissions this thread queued must
      // not wait for that reaper's next turn.
      flushed = true;
      lock.unlock();
      backend_->flush();
      lock.lock();
      continue;
    }
    flushed = false;
    ++idle_threads_;
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    arm_wakeup();
    // The other half of the handshake: an op injected before the increment is seen here;
    // one injected after it sees the increment and takes mutex_ to notify, which it can only
    // do once this thread is inside wait() (wait releases mutex_ atomically).
    if (inject_.empty())
    {
      if (deadline_ns < 0)
        wakeup_.wait(lock);
      else
        wakeup_.wait_for(lock, deadline_ns - now);
      std::int64_t waited = now_ns() - now;
      ti.waits_unflushed += 1;
      ti.wait_ns_unflushed += static_cast<std::uint64_t>(waited > 0 ? waited : 0);
    }
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    --idle_threads_;
    ti.since_reap = 0; // another thread was the reaper meanwhile
    ti.reap_credit = 0;
    ti.reap_period_start = -1;
    if (deadline_ns >= 0 && now_ns() >= deadline_ns && shared_.empty())
    {
      // Leaving at the deadline, perhaps woken for a post this thread will not take (an
      // injector wakes one thread, and later ones wait for that one: wake_sent_), or handed
      // the reaper's role: the wakeup goes on to a thread that stays.
      hand_on_locked(lock);
      return false;
    }
  }
}

// Wakes an idle thread when one must take over: posts wait in inject_, or nobody reaps
// (idle threads sleep without a timeout only while some thread is the reaper).
void scheduler::hand_on_locked(std::unique_lock<futex_mutex>& lock)
{
  if (idle_threads_ > 0 && (!inject_.empty() || !reaper_active_))
  {
    lock.unlock();
    wakeup_.notify_one();
  }
}

// Returns how many completions the backend reported (see thread_info::reap_credit). `now`
// is the caller's fresh clock reading, or -1 when it has none: the clock is then read only
// if a timer or a blocking wait needs it.
std::size_t scheduler::reap(thread_info& ti, std::int64_t timeout_ns, std::int64_t now)
{
  // About to block: the moment to hand back what a burst of ops left in the slab depots.
  // In chunks, so that a post arriving meanwhile waits for one chunk at most (~50 us);
  // timers are looked at after it.
  if (timeout_ns != 0 && slab_trim_pending())
  {
    while (!inject_.maybe_nonempty() && slab_trim(trim_chunk_batches))
    {
    }
    now = -1; // the trim may have taken milliseconds: timers need a fresh reading
  }
  // With no timer armed, the wheel and its lock are left alone: reaper_wake_ns_ then stays
  // at INT64_MAX, so any timer armed meanwhile, whatever its deadline, interrupts this wait.
  // A stale false here is bounded the same way: the arm that made it true interrupts, and
  // the reaper reads the flag again after retaking mutex_, which the arm went through.
  bool timers = timers_armed_.load(std::memory_order_relaxed);
  if ((timers || timeout_ns != 0) && now < 0)
    now = now_ns();
  // Injected ops must not wait for the backend's timeout: this check follows the sleepers_
  // increment (seq_cst), pairing with inject()'s push-then-load.
  auto must_not_wait = [&] { return !ti.private_q.empty() || !inject_.empty(); };
  if (timers)
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    expire_timers(ti.private_q, now);
    std::int64_t t = wheel_.next_expiry_ns(now);
    if (t >= 0 && (timeout_ns < 0 || t < timeout_ns))
      timeout_ns = t;
    if (must_not_wait())
      timeout_ns = 0;
    reaper_wake_ns_ = timeout_ns < 0 ? INT64_MAX : now + timeout_ns;
  }
  else if (must_not_wait())
  {
    timeout_ns = 0;
  }
  // A look that may not wait, with nothing in flight, can find nothing: skip it (for epoll
  // it is a syscall, made every reap_interval handlers under a stream of posts). A pending
  // interrupt stays in its eventfd and ends the next wait early; nothing is lost.
  std::size_t completions = 0;
  std::int64_t after = -1;
  if (timeout_ns != 0 || backend_->has_pending())
  {
    completions = backend_->run(ti.private_q, timeout_ns);
    if (timeout_ns != 0)
    {
      // Only a call that could block is a wait (and costs a clock read).
      after = now_ns();
      ti.waits_unflushed += 1;
      ti.wait_ns_unflushed += static_cast<std::uint64_t>(after > now ? after - now : 0);
    }
  }
  // The handlers this reap hands over begin now (a wait's end, else the caller's reading).
  ti.reap_period_start = after >= 0 ? after : now;
  if (timers || timers_armed_.load(std::memory_order_relaxed))
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    reaper_wake_ns_ = INT64_MAX;
    if (!wheel_.empty())
      expire_timers(ti.private_q, after >= 0 ? after : now_ns());
  }
  return completions;
}

static_assert(scheduler::op_kinds == static_cast<unsigned>(io_kind::wait_error) + 1,
              "count_op has a counter for every io_kind");

void scheduler::count_op(unsigned k) noexcept
{
  if (k >= op_kinds)
    return;
  if (thread_info* ti = find_thread_info(this))
  {
    ++ti->ops_unflushed[k];
    ti->kinds_unflushed |= 1u << k;
    return;
  }
  // Relaxed: a statistic, ordered against nothing.
  ops_started_[k].fetch_add(1, std::memory_order_relaxed);
}

void scheduler::flush_counts(thread_info& ti) noexcept
{
  // Relaxed: statistics, ordered against nothing.
  if (ti.handlers_unflushed != 0)
  {
    handlers_run_.fetch_add(ti.handlers_unflushed, std::memory_order_relaxed);
    ti.handlers_unflushed = 0;
  }
  if (ti.waits_unflushed != 0)
  {
    waits_.fetch_add(ti.waits_unflushed, std::memory_order_relaxed);
    wait_ns_.fetch_add(ti.wait_ns_unflushed, std::memory_order_relaxed);
    ti.waits_unflushed = 0;
    ti.wait_ns_unflushed = 0;
  }
  for (std::uint32_t kinds = ti.kinds_unflushed; kinds != 0; kinds &= kinds - 1)
  {
    unsigned k = static_cast<unsigned>(__builtin_ctz(kinds));
    ops_started_[k].fetch_add(ti.ops_unflushed[k], std::memory_order_relaxed);
    ti.ops_unflushed[k] = 0;
  }
  ti.kinds_unflushed = 0;
}

io_context_metrics scheduler::metrics() const
{
  auto started = [this](io_kind k) {
    return ops_started_[static_cast<unsigned>(k)].load(std::memory_order_relaxed);
  };
  io_context_metrics m;
  m.handlers_run = handlers_run_.load(std::memory_order_relaxed);
  m.ops_pending = backend_->pending_ops();
  m.receives = started(io_kind::recv) + started(io_kind::recv_from);
  m.sends = started(io_kind::send) + started(io_kind::send_to);
  m.reads = started(io_kind::read);
  m.writes = started(io_kind::write);
  m.accepts = started(io_kind::accept);
  m.connects = started(io_kind::connect);
  m.readiness_waits =
      started(io_kind::wait_read) + started(io_kind::wait_write) + started(io_kind::wait_error);
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    m.timers_pending = wheel_.size();
    m.timers_fired = timers_fired_;
  }
  m.waits = waits_.load(std::memory_order_relaxed);
  m.wait_ns = wait_ns_.load(std::memory_order_relaxed);
  return m;
}

} // namespace detail
} // namespace blitz
