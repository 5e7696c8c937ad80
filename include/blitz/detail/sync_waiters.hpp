// The waiters of a synchronisation primitive (async_semaphore, async_mutex, notify,
// channel): handler ops in arrival order, kept under the primitive's own mutex.
//
// A waiting op counts one unit of its io_context's work, as any pending Asio operation
// does, so run() keeps going while an acquire or a receive is outstanding. Ops are woken
// into a local queue under the mutex and posted after it is released: the scheduler's
// queues are never touched with a primitive's lock held, and a handler never runs inside
// the call that woke it (nor inside the initiating call, even when it can complete at once).
// The list is registered with the scheduler, which destroys the parked ops if the context is
// destroyed first.
#ifndef BLITZ_DETAIL_SYNC_WAITERS_HPP
#define BLITZ_DETAIL_SYNC_WAITERS_HPP

#include <blitz/detail/op.hpp>
#include <blitz/detail/op_queue.hpp>
#include <blitz/detail/scheduler.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <mutex>

namespace blitz {
namespace detail {

class sync_waiters : private parked_waiters
{
public:
  explicit sync_waiters(scheduler& s) : sched_(&s) { s.adopt_parked(*this); }
  ~sync_waiters()
  {
    // Unlinked when the context was destroyed first (see scheduler::abandon_all).
    if (is_linked())
      sched_->release_parked(*this);
  }
  sync_waiters(const sync_waiters&) = delete;
  sync_waiters& operator=(const sync_waiters&) = delete;

  // With the primitive's mutex held.
  bool empty() const noexcept { return waiting.empty(); }
  void park(op* o) noexcept
  {
    sched_->work_started();
    waiting.push(o);
  }
  result_op* front() noexcept { return static_cast<result_op*>(waiting.front()); }
  // Puts back an op taken out while it was parked (its work is still counted).
  void repark(op* o) noexcept { waiting.push(o); }
  result_op* take() noexcept { return static_cast<result_op*>(waiting.pop()); }
  std::size_t wake_all(op_queue& done, const boost::system::error_code& ec) noexcept
  {
    std::size_t n = 0;
    while (!waiting.empty())
    {
      result_op* o = take();
      o->ec_ = ec;
      done.push(o);
      ++n;
    }
    return n;
  }

  // An op completed without waiting: counted as work now, like a parked one.
  void ready_now(op* o, op_queue& done) noexcept
  {
    sched_->work_started();
    done.push(o);
  }

  // Without the mutex.
  void complete(op_queue& done) { sched_->post_completions(done); }

private:
  scheduler* sched_;
};

// Ops woken under a primitive's mutex, posted when this goes out of scope (declare it
// before the lock, so that happens after the unlock). Posted on an exception too: an op
// moved here is complete and its work counted, so it must reach the scheduler even if a
// later step (a value whose move or copy throws) fails.
class completion_batch
{
public:
  explicit completion_batch(sync_waiters& w) noexcept : w_(w) {}
  ~completion_batch() { w_.complete(done); }
  completion_batch(const completion_batch&) = delete;
  completion_batch& operator=(const completion_batch&) = delete;

  op_queue done;

private:
  sync_waiters& w_;
};

// Under `m` (the primitive's mutex), wakes every parked op with ec; posts them after the
// unlock. Returns how many there were.
inline std::size_t wake_all_posted(sync_waiters& w, std::mutex& m,
                                   const boost::system::error_code& ec)
{
  completion_batch batch(w);
  std::lock_guard<std::mutex> lock(m);
  return w.wake_all(batch.done, ec);
}

// Owns a freshly allocated op until it is parked or queued: an exception in between
// destroys it (and its handler) instead of leaking it.
class new_op_guard
{
public:
  explicit new_op_guard(op* o) noexcept : o_(o) {}
  ~new_op_guard()
  {
    if (o_)
      o_->destroy();
  }
  new_op_guard(const new_op_guard&) = delete;
  new_op_guard& operator=(const new_op_guard&) = delete;
  void release() noexcept { o_ = nullptr; }

private:
  op* o_;
};

} // namespace detail
} // namespace blitz

#endif
