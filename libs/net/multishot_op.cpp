#include <blitz/detail/multishot_op.hpp>
#include <blitz/detail/scheduler.hpp>

#include <utility>

namespace blitz {
namespace detail {

multishot_op::multishot_op(io_kind k, invoke_fn inv, release_fn rel)
  : io_op(&multishot_op::abandon, k), drain_(this), invoke_(inv), release_(rel)
{
  multishot_ = true;
  // A burst of accepted connections or received chunks between two drains fits without
  // reallocating; past that the vectors keep their grown capacity.
  pending_.reserve(16);
  running_.reserve(16);
}

void multishot_op::deliver(int res, std::int32_t buffer, bool final, op_queue& ready) noexcept
{
  bool push;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(result{res, buffer, final});
    if (final)
      in_backend_ = false;
    push = !scheduled_;
    scheduled_ = true;
    if (push)
      ready.push(&drain_);
  }
  // After a final result the op may already be freed by a drain running elsewhere: only
  // the scheduler is touched from here on.
  if (push && !final)
    sched_->work_started();
  else if (!push && final)
    sched_->work_finished(); // the armed unit; the scheduled drain still holds its own
}

void multishot_op::drain_op::do_complete(void* owner, op* base)
{
  multishot_op* self = static_cast<drain_op*>(base)->owner;
  if (owner)
    self->drain();
  else
    self->drop_queued();
}

void multishot_op::drain()
{
  for (;;)
  {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (pending_.empty())
      {
        scheduled_ = false;
        bool dead = !in_backend_;
        lock.unlock();
        if (dead)
          release_(this, nullptr);
        return;
      }
      running_.swap(pending_);
    }
    std::size_t i = 0;
    try
    {
      for (; i < running_.size(); ++i)
        invoke_(this, running_[i]);
    }
    catch (...)
    {
      // The exception leaves run(), as Asio's do; the results after the one whose handler
      // threw go back to the front and a fresh drain delivers them on the next run().
      {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.insert(pending_.begin(), running_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                        running_.end());
      }
      running_.clear();
      sched_->work_started();
      sched_->post_completion(&drain_);
      throw;
    }
    running_.clear();
  }
}

void multishot_op::drop_queued() noexcept
{
  // Released outside mutex_: returning a buffer can call into the backend.
  std::vector<result> dropped;
  bool dead;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(pending_);
    scheduled_ = false;
    dead = !in_backend_;
  }
  for (const result& r : dropped)
    release_(this, &r);
  if (dead)
    release_(this, nullptr);
}

void multishot_op::abandon(void* owner, op* base)
{
  multishot_op* self = static_cast<multishot_op*>(static_cast<io_op*>(base));
  (void)owner;
  std::vector<result> dropped;
  bool dead;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->in_backend_ = false;
    dead = !self->scheduled_;
    if (dead)
      dropped.swap(self->pending_);
  }
  if (!dead)
    return; // the scheduled drain frees it, run or destroyed
  for (const result& r : dropped)
    self->release_(self, &r);
  self->release_(self, nullptr);
}

void finish_op(io_op* o, op_queue& ready) noexcept
{
  // Out of the backend for good: a cancellation emitted from now until the op's completion
  // disconnects its slot must not reach the descriptor's state, which a close and the
  // reap after it may have freed (the usual timeout pattern: close, then emit).
  o->desc_ = nullptr;
  if (!o->multishot_)
  {
    ready.push(o);
    return;
  }
  static_cast<multishot_op*>(o)->deliver(o->result_code(), o->buffer_id_, true, ready);
}

} // namespace detail
} // namespace blitz
