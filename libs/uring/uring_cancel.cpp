// Cancellation and wake-ups: cancels by descriptor or by op, requests that other threads
// leave to the owner of a single-issuer ring, ops aborted before they reached the kernel,
// and the eventfd read that interrupt() completes.

#include "uring_backend.hpp"

#include <blitz/detail/eventfd_wakeup.hpp>

#include <unistd.h>

namespace blitz {
namespace detail {
namespace uring {

namespace {

// What an emptied slot holds; the kernel only reads it (io_uring_prep_files_update wants a
// pointer to non-const).
int no_file = -1;

} // namespace

void prep_request(io_uring_sqe* sqe, std::uint64_t request) noexcept
{
  std::uint64_t tag = request & tag_bits;
  if (tag == tag_unfix)
  {
    io_uring_prep_files_update(sqe, &no_file, 1, static_cast<int>(request >> 3));
    io_uring_sqe_set_data64(sqe, request);
    return;
  }
  if (tag == tag_cancel_any)
  {
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, tag_ignore);
    return;
  }
  io_uring_prep_cancel_fd(sqe, static_cast<int>(request >> 3), IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, tag == tag_close ? request : tag_ignore);
}

void uring_backend::queue_cancel_fd_locked(int fd, std::uint64_t user_data) noexcept
{
  queue_request_locked((static_cast<std::uint64_t>(fd) << 3) | (user_data & tag_bits));
}

// Puts a request (as deferred_requests_ describes it) in the SQ, or, with the SQ full,
// leaves it to the owner's next turn. (On the owner a full SQ was submitted to make room;
// a sqe is missing only if the kernel refused.)
void uring_backend::queue_request_locked(std::uint64_t request) noexcept
{
  if (!ring_ok_)
    return; // closed off its owner: the kernel has cancelled everything and dropped the table
  io_uring_sqe* sqe = get_sqe_locked();
  if (!sqe)
  {
    try
    {
      deferred_requests_.push_back(request);
    }
    catch (...)
    {
      // Out of memory: a lost cancel leaves its ops to the descriptor's close, a lost
      // slot update keeps the file open until the ring goes.
    }
    return;
  }
  prep_request(sqe, request);
}

void uring_backend::cancel_ops(descriptor_state* ds) noexcept
{
  uring_descriptor* d = static_cast<uring_descriptor*>(ds);
  op_queue aborted;
  bool wait = false;
  unsigned tail = 0;
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    ++d->cancel_gen;
    abort_parked_locked(d, nullptr, aborted);
    if (d->inflight > 0)
    {
      int fd = d->fd;
      std::uint64_t ud = tag_ignore;
      if (!can_submit())
      {
        // The owner submits this later, possibly after the caller closed the descriptor
        // and its number went to a new file: name the file through a duplicate that lives
        // until the cancel completes.
        int dup = ::fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
        if (dup >= 0)
        {
          try
          {
            cancel_dups_.push_back(dup);
            fd = dup;
            ud = (static_cast<std::uint64_t>(dup) << 3) | tag_close;
          }
          catch (...)
          {
            ::close(dup); // name the descriptor itself: a narrow race, not a leak
          }
        }
      }
      // The SQEs ahead of the cancel: the owner's, and other threads' requests.
      unsigned queued = ring_.sq.sqe_tail;
      queue_cancel_fd_locked(fd, ud);
      // Submitted now, before the caller may close the descriptor: the kernel finds the
      // ops by descriptor, and the earlier SQEs for this fd are issued before the cancel.
      submit_locked();
      // Off the owner of a single-issuer ring nothing could be submitted: SQEs the owner
      // queued for this descriptor must reach the kernel before the caller closes it, if
      // they name it by number. SQEs naming its registered slot find the file whatever
      // happens to the number: the slot keeps it until the update that empties it, queued
      // after them (deregister_descriptor); a descriptor with a slot was never named by
      // number. An owner outside run() has submitted all of its SQEs (it flushes on the way
      // out; the rest of the SQ are requests like this cancel, which name a duplicate or a
      // slot) and may never come back: waiting for it would only stall this close.
      if (single_ && enabled_.load(std::memory_order_relaxed) && !may_enter() &&
          d->by_number && sched_.has_runner())
      {
        wait = true;
        tail = queued;
      }
    }
  }
  if (wait)
    wait_consumed(tail);
  sched_.post_completions(aborted);
}

void uring_backend::cancel_op(descriptor_state* ds, io_op* target) noexcept
{
  uring_descriptor* d = static_cast<uring_descriptor*>(ds);
  bool aborted = false;
  op_queue done;
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    aborted = abort_parked_locked(d, target, done);
    if (!aborted)
    {
      // Matched by user_data, i.e. by the op itself. If the op already completed (its CQE
      // waits to be reaped) the kernel answers -ENOENT and the real result stands. An op
      // between an -EAGAIN and its re-issue is not in the kernel: bumping its generation
      // would abort every op of the descriptor, so mark this one alone.
      io_uring_sqe* sqe = get_sqe_locked();
      if (sqe)
      {
        io_uring_prep_cancel(sqe, target, 0);
        io_uring_sqe_set_data64(sqe, tag_ignore);
      }
      target->backend_tag_ = ~d->cancel_gen;
    }
    // Also after an abort: the next op of the aborted one's lane may have been issued.
    if (must_submit_now())
      submit_locked();
  }
  if (aborted)
    sched_.post_completions(done);
}

// Ops not in the kernel, of d (only `only`, if given), are aborted here, into `aborted`.
// Returns whether any was. Backlogged and starved ops end now. Ops waiting in d's lanes
// end now only when cancelled alone; a cancel of the whole descriptor (its cancel_gen
// moved on) leaves them queued, and they end when the op ahead of them does, in the
// order they were started (issue_next_in_lane_locked).
bool uring_backend::abort_parked_locked(uring_descriptor* d, io_op* only, op_queue& aborted) noexcept
{
  if (only && abort_waiting_in_lane_locked(d, only, aborted))
    return true;
  return abort_backlogged_locked(d, only, aborted);
}

// `only`, waiting in one of d's lanes (never issued).
bool uring_backend::abort_waiting_in_lane_locked(uring_descriptor* d, io_op* only,
                                                 op_queue& aborted) noexcept
{
  int lane = only->backend_lane_;
  if (lane < 0 || !(d->lanes_waiting & (1u << lane)))
    return false;
  if (!d->lane_waiting[lane].erase(only))
    return false;
  lane_left_locked(d, lane);
  unlist_lane_deadline_locked(only);
  abort_unissued_locked(d, only, aborted);
  return true;
}

// In the backlog or starved for a buffer: d's ops (every descriptor's if d is null), or
// `only`.
bool uring_backend::abort_backlogged_locked(uring_descriptor* d, io_op* only,
                                            op_queue& aborted) noexcept
{
  bool any = false;
  // An op issued from a lane while the backlog is walked (its holder aborted) is appended
  // to it and kept: it is not one of the ops to abort.
  for (op_queue* parked : {&backlog_, &starved_})
  {
    op_queue keep;
    while (!parked->empty())
    {
      io_op* o = static_cast<io_op*>(parked->pop());
      if (only ? o != only : d && o->desc_ != d)
      {
        keep.push(o);
        continue;
      }
      uring_descriptor* od = static_cast<uring_descriptor*>(o->desc_);
      if (parked == &starved_)
        o->pool_->starving(-1);
      forget_locked(o);
      int lane = o->backend_lane_;
      abort_unissued_locked(od, o, aborted);
      leave_lane_locked(od, o, lane, aborted);
      release_locked(od); // closed meanwhile (a receive starved after the close)
      any = true;
    }
    parked->swap(keep);
  }
  return any;
}

// io_context::shutdown: what cancel_ops does for one descriptor, for all of them, with a
// single request for everything the kernel holds (IORING_ASYNC_CANCEL_ANY) instead of one
// per descriptor. Each descriptor's cancel_gen moves on, so that an op whose readiness
// poll the cancel ends is not issued again (run's retry loop).
std::size_t uring_backend::cancel_all() noexcept
{
  op_queue aborted;
  std::size_t pending = 0;
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    // Relaxed: written only under sq_mutex_, which is held.
    long n = inflight_.load(std::memory_order_relaxed);
    pending = n > 0 ? static_cast<std::size_t>(n) : 0;
    for (uring_descriptor& d : ring_descriptors_)
      ++d.cancel_gen;
    abort_backlogged_locked(nullptr, nullptr, aborted);
    if (inflight_.load(std::memory_order_relaxed) > 0)
    {
      // Deferred to the next turn if the kernel would take nothing now (SQ full and a CQ
      // backlog), rather than lost. Then it also cancels what reached the kernel in
      // between: too much, in a case that rare, rather than too little.
      queue_request_locked(tag_cancel_any);
      submit_locked();
    }
  }
  sched_.post_completions(aborted);
  return pending;
}

void uring_backend::arm_wakeup_locked()
{
  io_uring_sqe* sqe = get_sqe_locked();
  if (!sqe)
    return; // armed again on the next turn
  io_uring_prep_read(sqe, event_fd_, &event_value_, sizeof(event_value_), 0);
  io_uring_sqe_set_data64(sqe, tag_wakeup);
  wakeup_armed_ = true;
}

void uring_backend::interrupt() noexcept
{
  wake_reaper(wakeup_pending_, event_fd_);
}

} // namespace uring
} // namespace detail
} // namespace blitz
