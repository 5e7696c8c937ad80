// Completion: one turn of the reaper (submit, wait, reap a batch of CQEs under one lock),
// and what each CQE means for its op: done, re-issued after -EAGAIN or -ENOBUFS, a
// multishot result, or the end of an op that leaves its lane to the next.

#include "uring_backend.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace uring {

// Ops waiting in a lane whose deadline has passed complete with operation_aborted, as
// their LINK_TIMEOUT would have made them had they been issued.
void uring_backend::expire_lane_deadlines_locked(op_queue& ready)
{
  wheel_entry_list expired;
  lane_deadlines_.expire(scheduler::now_ns(), expired);
  while (!expired.empty())
  {
    io_op* o = static_cast<op_deadline&>(expired.front()).op;
    expired.pop_front();
    uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
    d->lane_waiting[o->backend_lane_].erase(o);
    lane_left_locked(d, o->backend_lane_);
    abort_unissued_locked(d, o, ready);
  }
}

// Publishes filled SQEs to the kernel's tail and returns how many the kernel has not yet
// consumed. Equivalent to what io_uring_submit does before entering, split out so the
// blocking enter can happen with sq_mutex_ released.
inline unsigned uring_backend::flush_locked()
{
  io_uring_sq& sq = ring_.sq;
  unsigned tail = sq.sqe_tail;
  if (sq.sqe_head != tail)
  {
    sq.sqe_head = tail;
    // Release: the SQE contents written above must be visible before the new tail.
    __atomic_store_n(sq.ktail, tail, __ATOMIC_RELEASE);
  }
  return tail - __atomic_load_n(sq.khead, __ATOMIC_ACQUIRE);
}

inline int uring_backend::enter(unsigned to_submit, unsigned min_complete, unsigned flags,
                         std::int64_t timeout_ns)
{
  __kernel_timespec ts{};
  io_uring_getevents_arg arg{};
  if (timeout_ns > 0)
  {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    arg.ts = reinterpret_cast<std::uint64_t>(&ts);
  }
  flags |= IORING_ENTER_EXT_ARG;
  long r = ::syscall(__NR_io_uring_enter, ring_.ring_fd, to_submit, min_complete, flags, &arg,
                     sizeof(arg));
  return r < 0 ? -errno : static_cast<int>(r);
}

std::size_t uring_backend::run(op_queue& ready, std::int64_t timeout_ns)
{
  // Closed off its owner during the context's destruction (shutdown), which may come back
  // here while destroyed handlers hand over more: the rings are unmapped.
  if (!ring_ok_)
    return 0;
  unsigned to_submit;
  bool can_enter;
  bool lane_deadlines = false;
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    begin_turn_locked();
    can_enter = may_enter();
    if (!wakeup_armed_)
      arm_wakeup_locked();
    to_submit = flush_locked();
    if (!lane_deadlines_.empty())
    {
      // Wake for the earliest deadline of an op waiting in a lane (see lane_deadlines_).
      lane_deadlines = true;
      std::int64_t t = lane_deadlines_.next_expiry_ns(scheduler::now_ns());
      if (t >= 0 && (timeout_ns < 0 || t < timeout_ns))
        timeout_ns = t;
    }
  }

  bool wait = timeout_ns != 0 && io_uring_cq_ready(&ring_) == 0;
  unsigned kflags = __atomic_load_n(ring_.sq.kflags, __ATOMIC_RELAXED);
  // DEFER_TASKRUN: completions are only produced when the owner asks for events, so every
  // enter asks.
  bool need_events = wait || single_ || (kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN));
  unsigned enter_flags = need_events ? IORING_ENTER_GETEVENTS : 0;
  if (sqpoll())
  {
    // The SQ thread submits on its own; a syscall is needed only to wake it from its idle
    // sleep, or to wait.
    if (to_submit > 0 && (kflags & IORING_SQ_NEED_WAKEUP))
      enter_flags |= IORING_ENTER_SQ_WAKEUP;
    else
      to_submit = 0;
  }
  if (single_ && !wait && to_submit == 0 && !(kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)))
    enter_flags = 0; // nothing to submit, nothing deferred: peeking the CQ is enough
  if (!can_enter)
    enter_flags = to_submit = 0;
  if (to_submit > 0 || enter_flags)
  {
    int r = enter(to_submit, wait ? 1 : 0, enter_flags, wait ? timeout_ns : 0);
    // -ETIME: the timeout passed; -EINTR: a signal; -EBUSY/-EAGAIN: the CQ must be reaped
    // before the kernel takes more; all are handled by reaping now and letting the
    // scheduler loop come back.
    (void)r;
  }

  op_queue retry;
  io_uring_cqe* cqes[64];
  std::unique_lock<futex_mutex> lock(sq_mutex_, std::defer_lock);
  std::size_t reaped = 0;
  for (;;)
  {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
    if (n == 0)
      break;
    reaped += n;
    if (!lock.owns_lock())
      lock.lock();
    for (unsigned i = 0; i < n; ++i)
      complete_cqe_locked(cqes[i], ready, retry, lock);
    io_uring_cq_advance(&ring_, n);
    // A short batch emptied the CQ as it stood; what the kernel posts from now on waits for
    // the next reap, which will not block while the CQ holds anything (see `wait` above).
    if (n < sizeof cqes / sizeof cqes[0])
      break;
  }

  if (!retry.empty())
  {
    if (!lock.owns_lock())
      lock.lock();
    while (!retry.empty())
    {
      io_op* o = static_cast<io_op*>(retry.pop());
      uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
      if (o->backend_tag_ != d->cancel_gen)
      {
        // Cancelled while between the -EAGAIN and its re-issue: the cancel request could
        // not see it, so abort it here.
        forget_locked(o); // before d may go: its list holds o
        int lane = o->backend_lane_;
        abort_unissued_locked(d, o, ready);
        leave_lane_locked(d, o, lane, ready);
        release_locked(d);
        continue;
      }
      queue_locked(o);
    }
  }
  if (lane_deadlines)
  {
    if (!lock.owns_lock())
      lock.lock();
    expire_lane_deadlines_locked(ready);
  }
  return reaped;
}

inline void uring_backend::complete_cqe_locked(io_uring_cqe* cqe, op_queue& ready,
                                               op_queue& retry,
                                               std::unique_lock<futex_mutex>& lock)
{
  std::uint64_t ud = io_uring_cqe_get_data64(cqe);
  if (ud == tag_ignore)
    return;
  if ((ud & tag_bits) == tag_close)
  {
    // The duplicate a cross-thread cancel named (sq_mutex_ is held here).
    int dup = static_cast<int>(ud >> 3);
    for (int& x : cancel_dups_)
      if (x == dup)
      {
        x = cancel_dups_.back();
        cancel_dups_.pop_back();
        ::close(dup);
        break;
      }
    return;
  }
  if ((ud & tag_bits) == tag_unfix)
  {
    // The slot no longer holds the file: it may go to another descriptor. (The capacity
    // was reserved for every slot, so this cannot allocate.)
    free_slots_.push_back(static_cast<int>(ud >> 3));
    return;
  }
  if (ud == tag_wakeup)
  {
    wakeup_armed_ = false;
    // The read consumed the counter; later interrupts must write again.
    wakeup_pending_.store(false, std::memory_order_release);
    arm_wakeup_locked();
    return;
  }
  io_op* o = reinterpret_cast<io_op*>(static_cast<std::uintptr_t>(ud));
  tsan_acquire(o);
  int res = cqe->res;
  std::int32_t buffer = -1;
  if (cqe->flags & IORING_CQE_F_BUFFER)
  {
    buffer = static_cast<std::int32_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    o->pool_->consumed();
  }
  if (o->multishot_)
  {
    complete_multishot_locked(static_cast<multishot_op*>(o), res, buffer,
                              (cqe->flags & IORING_CQE_F_MORE) != 0, ready, retry, lock);
    return;
  }
  if (res == -ENOBUFS && o->pool_)
  {
    // The pool's ring was empty: never the user's problem while the pool may grow.
    if (retry_without_buffer_locked(o, retry))
      return;
    res = -ECANCELED; // the pool was closed under the receive, or the receive cancelled
  }

  // A connection reset while it sat in the accept queue is gone; the next one may be fine
  // (the epoll path and Asio skip these too).
  if (o->kind_ == io_kind::accept && (res == -ECONNABORTED || res == -EPROTO))
  {
    retry.push(o);
    return;
  }
  if (o->backend_phase_ == phase_user_io && res >= 0)
  {
    // Cancelled or closed since the poll went in, which then found nothing to cancel: the
    // write must not go out, least of all through an fd number that may name another file
    // by now. The retry pass aborts it.
    if (o->backend_tag_ != static_cast<uring_descriptor*>(o->desc_)->cancel_gen)
    {
      retry.push(o);
      return;
    }
    // Room to write (or an error the write will report): write now, or poll again.
    if (!o->perform())
      retry.push(o);
    else
      end_op_locked(o, ready);
    return;
  }
  if (o->backend_phase_ == phase_issue && res == -EOPNOTSUPP && o->kind_ == io_kind::write &&
      o->offset_ < 0)
  {
    // A file type that takes no RWF_* flag at all (no write_iter); it cannot raise SIGPIPE,
    // and the user-space write falls back to a plain one.
    o->backend_phase_ = phase_user_io;
    retry.push(o);
    return;
  }
  if (o->backend_phase_ == phase_issue && res == -EAGAIN && o->kind_ != io_kind::connect &&
      o->kind_ != io_kind::wait_read && o->kind_ != io_kind::wait_write &&
      o->kind_ != io_kind::wait_error)
  {
    o->backend_phase_ = phase_polling;
    retry.push(o);
    return;
  }
  if (o->backend_phase_ == phase_polling && res >= 0)
  {
    o->backend_phase_ = phase_issue;
    retry.push(o);
    return;
  }

  // A connect or readiness wait cancelled (or its socket closed) after it went to the
  // kernel but before its completion is reaped has not completed for its caller: nothing
  // was read from the socket yet (and the SO_ERROR look below would find a closed
  // descriptor). As in Asio, whose reactor never performs them before an event, it ends
  // with operation_aborted. Transfers keep their real result: their bytes have moved.
  bool no_transfer = o->kind_ == io_kind::connect || o->kind_ == io_kind::wait_read ||
                     o->kind_ == io_kind::wait_write || o->kind_ == io_kind::wait_error;
  if (no_transfer && o->backend_tag_ != static_cast<uring_descriptor*>(o->desc_)->cancel_gen)
    res = -ECANCELED;
  switch (o->kind_)
  {
  case io_kind::connect:
    if (res >= 0)
    {
      // Writable: the connect finished, successfully or not; SO_ERROR says which.
      int err = 0;
      ::socklen_t len = sizeof(err);
      if (::getsockopt(o->fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
      res = -err;
    }
    o->set_result(res);
    break;
  case io_kind::wait_read:
  case io_kind::wait_write:
  case io_kind::wait_error:
    o->set_result(res < 0 ? res : 0);
    break;
  case io_kind::recv:
    o->set_result(res);
    o->buffer_id_ = buffer;
    static_cast<uring_descriptor*>(o->desc_)->recv_drained =
        o->drained() && !(cqe->flags & IORING_CQE_F_SOCK_NONEMPTY);
    break;
  default:
    o->set_result(res);
    o->buffer_id_ = buffer;
    break;
  }
  end_op_locked(o, ready);
}

// The op leaves the kernel for good.
__attribute__((always_inline)) inline void uring_backend::end_op_locked(io_op* o,
                                                                    op_queue& ready)
{
  forget_locked(o);
  uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
  // Out of the backend for good: a cancel emitted from now until the handler runs (which
  // disconnects the slot) must not reach d, which release_locked may free below (a
  // handler that closes the socket and then emits, the usual timeout pattern).
  o->desc_ = nullptr;
  int lane = o->backend_lane_;
  ready.push(o); // ahead of the cancelled ops of its lane (leave_lane_locked)
  leave_lane_locked(d, o, lane, ready);
  --d->inflight;
  release_locked(d);
  add_inflight_locked(-1);
}

// A multishot op's CQE. With IORING_CQE_F_MORE the op stays armed. Without it the kernel
// ended the op (a CQ overflow, an empty buffer ring, or an error): transient endings are
// re-armed out of sight, the rest end the operation with a final result.
void uring_backend::complete_multishot_locked(multishot_op* o, int res, std::int32_t buffer,
                                              bool more, op_queue& ready, op_queue& retry,
                                              std::unique_lock<futex_mutex>& lock)
{
  const bool accept = o->kind_ == io_kind::accept;
  if (more)
  {
    o->deliver(res, buffer, false, ready);
    return;
  }
  bool rearm = false;
  if (res > 0 || (accept && res == 0))
  {
    o->deliver(res, buffer, false, ready);
    rearm = true;
  }
  else if (res == -EAGAIN || res == -EINTR ||
           (accept && (res == -ECONNABORTED || res == -EPROTO)))
    rearm = true;
  else if (res == -ENOBUFS && o->pool_)
  {
    if (retry_without_buffer_locked(o, retry))
      return;
    res = -ECANCELED;
  }
  if (rearm)
  {
    o->backend_phase_ = phase_issue;
    retry.push(o);
    return;
  }
  if (buffer >= 0)
  {
    // eof carries an empty buffer. Returned with sq_mutex_ released: a pool with starved
    // receives calls buffers_returned, which takes it.
    lock.unlock();
    o->pool_->give_back(buffer);
    lock.lock();
  }
  forget_locked(o);
  uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
  --d->inflight;
  release_locked(d);
  add_inflight_locked(-1);
  o->desc_ = nullptr; // see end_op_locked
  o->deliver(res, -1, true, ready);
}

// -ENOBUFS: grow the pool and issue the receive again, or, at the pool's limit, park it until
// a buffer comes back. False when the pool is closed or the receive cancelled (it must end).
bool uring_backend::retry_without_buffer_locked(io_op* o, op_queue& retry)
{
  // Cancelled since it was issued (cancel, close, cancel_all): the kernel's cancel found
  // nothing to cancel, so the receive ends here rather than waiting in starved_ to be
  // issued again, on a descriptor that may be closed by then.
  if (o->backend_tag_ != static_cast<uring_descriptor*>(o->desc_)->cancel_gen)
    return false;
  buffer_pool_impl* pool = o->pool_;
  if (pool->grow())
  {
    retry.push(o);
    return true;
  }
  if (pool->closed())
    return false;
  // Lock order: sq_mutex_ (held), then the pool's mutex (available()); give_back never
  // holds the pool's mutex while calling buffers_returned, which takes sq_mutex_.
  pool->starving(1);
  if (pool->available() > 0)
  {
    // A buffer came back between the -ENOBUFS and now.
    pool->starving(-1);
    retry.push(o);
    return true;
  }
  starved_.push(o);
  return true;
}

void uring_backend::buffers_returned() noexcept
{
  std::lock_guard<futex_mutex> lock(sq_mutex_);
  if (starved_.empty())
    return;
  const bool foreign = foreign_locked();
  while (!starved_.empty())
  {
    io_op* o = static_cast<io_op*>(starved_.pop());
    o->pool_->starving(-1);
    o->backend_phase_ = phase_issue;
    if (foreign)
      backlog_.push(o); // see start_op
    else
      queue_locked(o);
  }
  if (must_submit_now())
    submit_locked();
}

} // namespace uring
} // namespace detail
} // namespace blitz
