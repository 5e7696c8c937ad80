// The work-stealing scheduler behind blitz::thread_pool.
//
// Queues. Each worker owns a Chase-Lev deque (detail/work_stealing_deque.hpp): tasks posted
// from that worker go there, and other workers steal from its top. Tasks posted from any
// other thread go to a Boost.Lockfree queue (MPMC, nodes recycled through its free list, so
// steady state does not allocate). A worker looks, in order: its own deque, the injection
// queue, the other workers' deques (from a random one, so thieves spread). Every 61st look
// starts with the injection queue, so a worker whose tasks keep re-posting themselves
// cannot starve tasks from outside.
//
// Work count. outstanding_ = tasks queued or running + work guards + 1 for the pool itself
// until join(). It reaching 0 stops the pool: that is how join() without stop() drains.
//
// Sleep: spin, then park, never losing a wakeup.
//   1. Spin: look for work for ~50 us with a pause between looks, then up to ~100 us in all
//      yielding between looks. An offload round trip or a fork-join handoff is shorter than
//      that, so a busy pool never pays for a sleep and a wakeup.
//   2. Announce: sleepers_ += 1, then look once more.
//   3. Park: under park_mutex_, wait until wake_tokens_ > 0 (take one) or stopped_.
//   A producer, after queuing a task: reads sleepers_ (as an RMW, fetch_add(0)); if it is
//   non-zero, adds a wake token (at most one per announced sleeper) under park_mutex_ and
//   notifies. The producer's "queue, then read sleepers_" and the worker's "announce, then
//   look" are both RMWs on sleepers_ (acq_rel), so they are ordered one way or the other:
//   if the worker's announce comes first, the producer reads it and wakes someone; if the
//   producer's read comes first, the worker's announce reads from it and synchronises with
//   it, so the worker's last look sees the task. Tokens are counted under the mutex and
//   the worker checks for them under the mutex before waiting, so a notify that precedes
//   the wait is not lost either. A stale token (its sleeper found work on its last look)
//   costs one extra round of looking, nothing more.
#include <blitz/thread_pool.hpp>

#include <blitz/detail/cpu_relax.hpp>
#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/op.hpp>
#include <blitz/detail/work_stealing_deque.hpp>

#include <boost/lockfree/queue.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include <blitz/detail/tsan.hpp>

#ifdef BLITZ_TSAN
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
#endif

namespace blitz {
namespace detail {
namespace {

constexpr unsigned fairness_interval = 61;

// Boost.Lockfree's queue reads nodes that another thread may be recycling at that moment
// (the tagged-pointer scheme: a stale read is discarded when the following CAS fails), and
// its free list links nodes with plain stores. ThreadSanitizer reports those by design of
// the algorithm, so its plain accesses are hidden from TSan while inside the queue. Its
// atomics still synchronise as usual, so the ops passed through it stay checked.
class tsan_ignore_plain_accesses
{
public:
#ifdef BLITZ_TSAN
  tsan_ignore_plain_accesses() noexcept
  {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~tsan_ignore_plain_accesses()
  {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
#else
  ~tsan_ignore_plain_accesses() {} // user-provided: a scope guard, not an unused variable
#endif
};

// The injection queue: Boost.Lockfree, node-based (its free list recycles nodes, so a
// steady stream of posts does not allocate).
class inject_queue
{
public:
  explicit inject_queue(std::size_t reserve) : q_(reserve) {}
  bool push(op* o)
  {
    tsan_ignore_plain_accesses ignore;
    return q_.push(o);
  }
  bool pop(op*& o)
  {
    tsan_ignore_plain_accesses ignore;
    return q_.pop(o);
  }

private:
  boost::lockfree::queue<op*> q_;
};
constexpr std::chrono::microseconds pause_time(50);
constexpr std::chrono::microseconds spin_time(100);

struct worker
{
  pool_core* pool;
  std::size_t index;
  std::uint32_t rng;
  unsigned tick = 0;
  work_stealing_deque<op> deque;
  std::thread thread;

  worker(pool_core* p, std::size_t i) : pool(p), index(i), rng(static_cast<std::uint32_t>(i) * 2654435761u + 1) {}

  // xorshift32: which victim to try first. Quality hardly matters; cost does.
  std::uint32_t next_random() noexcept
  {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
  }
};

thread_local worker* this_worker = nullptr;

} // namespace

class pool_core
{
public:
  explicit pool_core(std::size_t threads) : inject_(128)
  {
    for (std::size_t i = 0; i < threads; ++i)
      workers_.emplace_back(new worker(this, i));
    // All workers exist before any thread starts: thieves index workers_ without a lock.
    try
    {
      for (auto& w : workers_)
      {
        worker* wp = w.get();
        w->thread = std::thread([this, wp] { worker_main(*wp); });
      }
    }
    catch (...)
    {
      stop();
      join_threads();
      throw;
    }
  }

  pool_core(const pool_core&) = delete;
  pool_core& operator=(const pool_core&) = delete;

  ~pool_core()
  {
    stop();
    join_threads();
    destroy_all();
  }

  void post(op* o)
  {
    if (!try_post(o))
    {
      o->destroy();
      throw std::bad_alloc();
    }
  }

  // False, with o not queued and not counted, when a queue cannot grow (the only way
  // either push fails).
  bool try_post(op* o) noexcept
  {
    work_started();
    bool pushed = false;
    worker* w = this_worker;
    try
    {
      if (w && w->pool == this)
      {
        w->deque.push(o); // may grow the deque
        pushed = true;
      }
      else
      {
        pushed = inject_.push(o); // false if a node cannot be allocated
      }
    }
    catch (...)
    {
    }
    if (!pushed)
    {
      // Not a task yet: its unit goes back before anything else can see it. The pool's own
      // unit (until join()) or the running caller's keeps the count above zero here,
      // unless nothing else is left, when stopping is right.
      work_finished();
      return false;
    }
    notify_one();
    return true;
  }

  // Relaxed: the task a unit counts is published by the queue push sequenced after this
  // increment, and its consumer decrements only after taking it from that queue, so the
  // increment happens-before the matching decrement without ordering of its own.
  void work_started() noexcept { outstanding_.fetch_add(1, std::memory_order_relaxed); }

  // acq_rel: the decrement that reaches 0 (and stops the pool) must see every task's
  // effects, so that join() returning means all work is visible to its caller.
  void work_finished() noexcept
  {
    if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      stop();
  }

  bool running_in_this_thread() const noexcept
  {
    return this_worker && this_worker->pool == this;
  }

  bool help_one()
  {
    worker* w = this_worker;
    if (!w || w->pool != this)
      return false;
    bool contended = false;
    op* o = find_work(*w, contended);
    if (!o)
      return false;
    // The task runs nested in whatever handler is waiting (a join() inside a strand's
    // handler, say) but not for it: with that handler's frames above the pool's, the task
    // would pass for running in the strand (dispatch through it would run inline, with the
    // strand's handler suspended mid-way) and would send offload results to it. It sees
    // the worker's own frame only, as a task taken by the worker's loop does.
    exec_frame*& top = exec_frame_top();
    exec_frame* saved = top;
    while (top && top->target != this)
      top = top->prev;
    struct restore
    {
      exec_frame*& top;
      exec_frame* saved;
      ~restore() { top = saved; }
    } r{top, saved};
    run_task(o);
    return true;
  }

  void stop()
  {
    {
      std::lock_guard<std::mutex> lock(park_mutex_);
      // Relaxed: parked workers read it under park_mutex_; running ones check it between
      // tasks and only need to see it eventually.
      stopped_.store(true, std::memory_order_relaxed);
    }
    park_cv_.notify_all();
  }

  void join()
  {
    // The pool's own unit of work goes once: from then on, running out of work stops it.
    if (!join_requested_.exchange(true, std::memory_order_acq_rel))
      work_finished();
    join_threads();
  }

  std::size_t threads() const noexcept { return workers_.size(); }

private:
  void join_threads()
  {
    std::lock_guard<std::mutex> lock(join_mutex_);
    for (auto& w : workers_)
      if (w->thread.joinable())
        w->thread.join();
  }

  // Threads are joined: this thread may act as every deque's owner.
  void destroy_all() noexcept
  {
    for (bool any = true; any;)
    {
      any = false;
      op* o = nullptr;
      while (inject_.pop(o))
      {
        o->destroy();
        any = true;
      }
      for (auto& w : workers_)
        while ((o = w->deque.take()))
        {
          o->destroy();
          any = true;
        }
    }
  }

  void worker_main(worker& w) noexcept
  {
    this_worker = &w;
    exec_frame_scope frame(pool_erased_ops(), this);
    while (!stopped_.load(std::memory_order_relaxed))
    {
      bool contended = false;
      op* o = find_work(w, contended);
      if (!o)
        o = spin_for_work(w);
      if (o)
        run_task(o);
      else
        park(w);
    }
    this_worker = nullptr;
  }

  // A task that throws ends the thread, and std::thread then terminates the program, as
  // Asio's pool threads do: worker_main is noexcept.
  void run_task(op* o)
  {
    o->complete(this);
    work_finished();
  }

  op* find_work(worker& w, bool& contended)
  {
    op* o = nullptr;
    if (++w.tick % fairness_interval == 0 && inject_.pop(o))
      return o;
    // The owner alone pushes, so "looks empty" to the owner is empty: skip take()'s
    // seq_cst store on the spinning path.
    if (!w.deque.looks_empty() && (o = w.deque.take()))
      return o;
    if (inject_.pop(o))
      return o;
    std::size_t n = workers_.size();
    if (n < 2)
      return nullptr;
    std::size_t start = w.next_random() % n;
    for (std::size_t k = 0; k < n; ++k)
    {
      worker& victim = *workers_[(start + k) % n];
      if (&victim == &w)
        continue;
      switch (victim.deque.steal(o))
      {
      case work_stealing_deque<op>::steal_result::success:
        return o;
      case work_stealing_deque<op>::steal_result::lost_race:
        contended = true;
        break;
      case work_stealing_deque<op>::steal_result::empty:
        break;
      }
    }
    return nullptr;
  }

  op* spin_for_work(worker& w)
  {
    auto start = std::chrono::steady_clock::now();
    // Pause between looks: on an idle core the next task is usually microseconds away.
    for (;;)
    {
      for (int i = 0; i < 32; ++i)
        cpu_relax();
      bool contended = false;
      if (op* o = find_work(w, contended))
        return o;
      if (stopped_.load(std::memory_order_relaxed))
        return nullptr;
      if (!contended && std::chrono::steady_clock::now() - start > pause_time)
        break;
    }
    // Then yield between looks: on a busy machine the thread that will post the next task
    // may be waiting for this very core.
    while (std::chrono::steady_clock::now() - start < spin_time)
    {
      std::this_thread::yield();
      bool contended = false;
      if (op* o = find_work(w, contended))
        return o;
      if (stopped_.load(std::memory_order_relaxed))
        return nullptr;
    }
    return nullptr;
  }

  void park(worker& w)
  {
    // acq_rel: the worker's half of the handshake described at the top of the file.
    sleepers_.fetch_add(1, std::memory_order_acq_rel);
    bool contended = false;
    op* o = find_work(w, contended);
    if (o || contended || stopped_.load(std::memory_order_relaxed))
    {
      sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      if (o)
        run_task(o);
      return;
    }
    std::unique_lock<std::mutex> lock(park_mutex_);
    while (wake_tokens_ == 0 && !stopped_.load(std::memory_order_relaxed))
      park_cv_.wait(lock);
    if (wake_tokens_ > 0)
      --wake_tokens_;
    // Relaxed would do (an awake worker looks again before it can sleep again); acq_rel
    // keeps every access to sleepers_ alike.
    sleepers_.fetch_sub(1, std::memory_order_acq_rel);
  }

  void notify_one()
  {
    // acq_rel RMW rather than a load: the producer's half of the handshake.
    int sleepers = sleepers_.fetch_add(0, std::memory_order_acq_rel);
    if (sleepers == 0)
      return;
    std::lock_guard<std::mutex> lock(park_mutex_);
    if (wake_tokens_ < sleepers_.load(std::memory_order_relaxed))
    {
      ++wake_tokens_;
      park_cv_.notify_one();
    }
  }

  std::vector<std::unique_ptr<worker>> workers_;
  inject_queue inject_;
  char pad0_[64] __attribute__((unused)); // keeps outstanding_ off the queue's lines
  std::atomic<long> outstanding_{1};
  char pad1_[64] __attribute__((unused));
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> join_requested_{false};
  std::mutex park_mutex_;
  std::condition_variable park_cv_;
  int wake_tokens_ = 0; // park_mutex_
  std::mutex join_mutex_;
};

void pool_post(pool_core& p, op* o) { p.post(o); }
bool pool_try_post(pool_core& p, op* o) noexcept { return p.try_post(o); }
void pool_work_started(pool_core& p) noexcept { p.work_started(); }
void pool_work_finished(pool_core& p) noexcept { p.work_finished(); }
bool pool_running_in_this_thread(const pool_core& p) noexcept { return p.running_in_this_thread(); }
bool pool_help_one(pool_core& p) { return p.help_one(); }
std::size_t pool_threads(const pool_core& p) noexcept { return p.threads(); }

const executor_ops& pool_erased_ops() noexcept
{
  struct fns
  {
    static pool_core& pool(void* t) { return *static_cast<pool_core*>(t); }
    static void nothing(void*) {}
    static void started(void* t) { pool(t).work_started(); }
    static void finished(void* t) { pool(t).work_finished(); }
    static bool running(void* t) { return pool(t).running_in_this_thread(); }
    static void post(void* t, dual_op* o) { pool(t).post(o); }
  };
  static const executor_ops ops = {&fns::nothing, &fns::nothing, &fns::started,
                                   &fns::finished, &fns::running, &fns::post};
  return ops;
}

} // namespace detail

namespace {
std::size_t default_threads() noexcept
{
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}
} // namespace

thread_pool::thread_pool() : thread_pool(default_threads()) {}

thread_pool::thread_pool(std::size_t num_threads)
  : core_(new detail::pool_core(num_threads ? num_threads : 1))
{
}

thread_pool::~thread_pool() { delete core_; }

void thread_pool::stop() { core_->stop(); }
void thread_pool::join() { core_->join(); }

} // namespace blitz
