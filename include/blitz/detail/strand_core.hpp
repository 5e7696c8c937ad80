// The state shared by all copies of one strand: its queue, its "scheduled" flag and a
// reference count. Not a template: the executor it runs on is reached through schedule().
//
// State machine (scheduled_ is the only state; the queue is the data):
//
//   idle  (scheduled_ = false, queue empty)
//     -- a producer pushes, then flips scheduled_ false -> true and calls schedule() -->
//   scheduled  (scheduled_ = true: exactly one runner is queued on the inner executor or
//               running; that runner alone pops the queue and owns one reference)
//     -- runner finds the queue empty, stores false, re-checks the queue -->  idle
//     -- runner ran `batch_limit` handlers, or met a half-pushed op -->  re-posts itself
//
// The flag and the queue are separate atomics, so going idle is a two-sided handshake:
//   producer: exchange(producer_end_)  ; load(scheduled_)     -- strand_queue::push, enqueue
//   runner:   store(scheduled_, false) ; load(producer_end_)  -- run
// All four are seq_cst, so in the single total order at least one side sees the other's
// write: either the producer sees `false` and schedules, or the runner sees the new op and
// takes the strand back (exchange true; if someone else already did, it just leaves).
// No push is ever left in an idle strand, and no mutex is shared with any other strand.
//
// Never two threads at once: only the thread that flipped scheduled_ false -> true (or the
// runner that reclaimed it) runs handlers. Never starving others: after batch_limit
// handlers the runner re-posts itself behind whatever else the executor has queued.
//
// Happens-before between consecutive handlers on different threads: either through the
// inner executor's queue (the runner re-posted itself), or through scheduled_ (the runner's
// seq_cst store, read by the next producer's exchange, which then posts the runner).
#ifndef BLITZ_DETAIL_STRAND_CORE_HPP
#define BLITZ_DETAIL_STRAND_CORE_HPP

#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/strand_queue.hpp>

#include <atomic>
#include <thread>

namespace blitz {
namespace detail {

class strand_core
{
public:
  strand_core(const strand_core&) = delete;
  strand_core& operator=(const strand_core&) = delete;

  // Relaxed: a new reference is always made from an existing one, which keeps the object
  // alive; nothing is published by the increment.
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // acq_rel: the last release must see every other owner's writes before deleting.
  void release() noexcept
  {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

  // Any thread. o runs after every op enqueued before it by the same thread.
  void enqueue(strand_item* o)
  {
    queue_.push(o);
    // seq_cst load: the producer's half of the idle handshake (see the top of the file).
    // The plain load first keeps the common "already scheduled" case to a read.
    if (scheduled_.load(std::memory_order_seq_cst))
      return;
    // From the flip until schedule() has queued the runner, the strand holds ops that no
    // unit of the executor's work covers: a producer that meanwhile finds scheduled_ set
    // pushes its op and then gives back its own unit (an offload delivering its result),
    // which could bring the count to zero with the runner not queued yet, and the
    // io_context would stop with handlers pending. So a unit is taken before the flip and
    // given back once the runner is queued (where the executor counts it, or its queue
    // shows it): the count cannot touch zero in between.
    work_started();
    // seq_cst exchange: several producers may see false; exactly one wins the flip.
    if (scheduled_.exchange(true, std::memory_order_seq_cst))
    {
      work_finished(); // whoever won holds its own unit until its runner is queued
      return;
    }
    add_ref(); // the runner's reference, given back when the strand goes idle
    struct give_back
    {
      strand_core* self;
      ~give_back() { self->work_finished(); } // also if the executor's post throws
    } unit{this};
    schedule();
  }

  bool running_in_this_thread() const noexcept { return exec_frame_active(this); }

  virtual void work_started() noexcept = 0;
  virtual void work_finished() noexcept = 0;

  // As a type-erased executor (offload results, parallel_for completions). Plain static
  // functions, so the table is constant-initialised: no guard on the hot path.
  static const executor_ops& erased_ops() noexcept
  {
    static const executor_ops ops = {&ref_of, &unref_of, &work_started_of, &work_finished_of,
                                     &running_in, &post_to};
    return ops;
  }

protected:
  // Handlers a runner executes before giving its thread back to the executor: long enough
  // to amortise the re-post, short enough that other work waits for microseconds only.
  static constexpr unsigned batch_limit = 128;

  strand_core() noexcept = default;
  // Only ops whose runner was lost (an executor whose post threw) can remain.
  virtual ~strand_core() { destroy_queued(); }

  // Queues the runner on the inner executor. Called with scheduled_ == true; the runner,
  // when it runs, calls run(), or abandon() if the executor destroys it unrun.
  virtual void schedule() = 0;
  // The runner queuing itself again (a batch done with more to come, a producer caught
  // mid-push, a handler that threw): a continuation of the handler running now, as in
  // Asio's strand, which an executor that tells the two apart (io_context's defer) keeps on
  // this thread rather than handing to a sleeping one.
  virtual void reschedule() { schedule(); }

  // The runner. Holds the reference taken when the strand was scheduled and hands it on:
  // to the re-posted runner, or back (release) when the strand goes idle.
  void run()
  {
    if (run_batch())
      release(); // after the frame is gone: this may be the last reference
  }

  // The executor destroyed the runner without running it (its context is being destroyed):
  // destroy what is queued, as the context destroys its own pending handlers, and go idle.
  void abandon() noexcept
  {
    for (;;)
    {
      destroy_queued();
      scheduled_.store(false, std::memory_order_seq_cst);
      if (!queue_.pushed_since_empty() || scheduled_.exchange(true, std::memory_order_seq_cst))
        break;
    }
    release();
  }

private:
  static void ref_of(void* t) { static_cast<strand_core*>(t)->add_ref(); }
  static void unref_of(void* t) { static_cast<strand_core*>(t)->release(); }
  static void work_started_of(void* t) { static_cast<strand_core*>(t)->work_started(); }
  static void work_finished_of(void* t) { static_cast<strand_core*>(t)->work_finished(); }
  static bool running_in(void* t) { return static_cast<strand_core*>(t)->running_in_this_thread(); }
  static void post_to(void* t, dual_op* o) { static_cast<strand_core*>(t)->enqueue(o); }

  // Returns true when the strand went idle, false when the runner was re-posted.
  bool run_batch()
  {
    exec_frame_scope frame(erased_ops(), this);
    // A handler that throws leaves run() (and the executor's run()) with the exception, as
    // in Asio; the strand stays scheduled and its remaining handlers run later.
    struct on_throw
    {
      strand_core* self;
      bool armed;
      ~on_throw()
      {
        if (armed)
          self->reschedule();
      }
    } guard{this, true};

    unsigned n = 0;
    for (;;)
    {
      bool busy = false;
      if (strand_item* o = queue_.pop(busy))
      {
        o->complete(this);
        if (++n < batch_limit || queue_.empty())
          continue;
        guard.armed = false;
        reschedule();
        return false;
      }
      if (busy)
      {
        // A producer is between its two steps; come back after others had their turn
        // rather than spin on a thread that may have been preempted.
        guard.armed = false;
        reschedule();
        return false;
      }
      // Empty: go idle. From here on another thread may own the strand: touch nothing but
      // scheduled_ and producer_end_ (through pushed_since_empty).
      // seq_cst store: the runner's half of the idle handshake.
      scheduled_.store(false, std::memory_order_seq_cst);
      if (!queue_.pushed_since_empty() || scheduled_.exchange(true, std::memory_order_seq_cst))
      {
        guard.armed = false;
        return true;
      }
      // Took the strand back for an op pushed during the handshake; the batch goes on.
    }
  }

  void destroy_queued() noexcept
  {
    for (;;)
    {
      bool busy = false;
      if (strand_item* o = queue_.pop(busy))
        o->destroy();
      else if (busy)
        std::this_thread::yield();
      else
        return;
    }
  }

  std::atomic<long> refs_{1};
  // Read by every producer, next to producer_end_ (the queue's first member), which every
  // producer writes anyway.
  std::atomic<bool> scheduled_{false};
  strand_queue queue_;
};

} // namespace detail
} // namespace blitz

#endif
