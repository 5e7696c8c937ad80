// The waiters of a synchronisation primitive (async_semaphore, async_mutex, notify,
// channel): handler ops in arrival order, kept under the primitive's own mutex.
//
// A waiting op counts one unit of its io_context's work, as any pending Asio operation
// does, so run() keeps going while an acquire or a receive is outstanding. Ops are woken
// into a local queue under the mutex and posted after it is released: the scheduler's
// queues are never touched with a primitive's lock held, and a handler never runs inside
// the call that woke it (nor inside the initiating call, even when it can complete at once).
#ifndef BLITZ_DETAIL_SYNC_WAITERS_HPP
#define BLITZ_DETAIL_SYNC_WAITERS_HPP

#include <blitz/detail/op.hpp>
#include <blitz/detail/op_queue.hpp>
#include <blitz/detail/scheduler.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>

namespace blitz {
namespace detail {

class sync_waiters
{
public:
  explicit sync_waiters(scheduler& s) noexcept : sched_(&s) {}

  scheduler& sched() const noexcept { return *sched_; }

  // With the primitive's mutex held.
  bool empty() const noexcept { return waiting_.empty(); }
  void park(op* o) noexcept
  {
    sched_->work_started();
    waiting_.push(o);
  }
  result_op* front() noexcept { return static_cast<result_op*>(waiting_.front()); }
  result_op* take() noexcept { return static_cast<result_op*>(waiting_.pop()); }
  std::size_t wake_all(op_queue& done, const boost::system::error_code& ec) noexcept
  {
    std::size_t n = 0;
    while (!waiting_.empty())
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
  op_queue waiting_;
};

} // namespace detail
} // namespace blitz

#endif
