// Submission: an op becomes an SQE (prep_locked), waits its turn in its descriptor's lane,
// or is sent with send(2) when that is cheaper than an SQE travelling alone (sent_now).

#include "uring_backend.hpp"

#include <poll.h>

namespace blitz {
namespace detail {
namespace uring {

namespace {

// An SQE's length is 32 bits; Linux moves at most MAX_RW_COUNT (INT_MAX rounded down to a
// page) per call anyway, so a larger single buffer is capped to that instead of wrapping
// (a 4 GiB read would otherwise become a zero-length read that reports eof).
constexpr std::size_t max_rw_count = 0x7ffff000;

unsigned sqe_len(const ::iovec& v)
{
  return static_cast<unsigned>(v.iov_len < max_rw_count ? v.iov_len : max_rw_count);
}

// The in-order lane an op takes on its descriptor, or -1 for none. Two receives in flight
// on one socket both wait in its wait queue, and the kernel wakes the later one first: its
// task work runs first and takes the first bytes (or datagram). Two sends that both found
// the buffer full come back in the same reversed order. Asio's reactor queues such ops per
// direction and completes them in the order they were started, and so does the epoll
// backend; here each lane keeps one op in flight and issues the next when it ends.
// Positioned file transfers need no order, and multishot ops (which never end while they
// deliver) and out-of-band receives (which wait for another condition) take no lane.
int lane_of(const io_op* o) noexcept
{
  // By io_kind: recv, send, recv_from, send_to, read, write, accept, connect, wait_read,
  // wait_write, wait_error.
  static constexpr std::int8_t by_kind[] = {0, 1, 0, 1, 0, 1, 0, -1, 0, 1, -1};
  static_assert(sizeof by_kind == static_cast<unsigned>(io_kind::wait_error) + 1,
                "a lane for every io_kind");
  int lane = by_kind[static_cast<unsigned>(o->kind_)];
  if (lane < 0 || o->multishot_)
    return -1;
  switch (o->kind_)
  {
  case io_kind::recv:
  case io_kind::recv_from:
    return (o->msg_flags_ & MSG_OOB) ? -1 : lane;
  case io_kind::read:
  case io_kind::write:
    return o->offset_ < 0 ? lane : -1;
  default:
    return lane;
  }
}

short poll_mask(const io_op* o)
{
  switch (o->direction())
  {
  case io_direction::read:
    return POLLIN;
  case io_direction::error:
    return POLLPRI;
  default:
    return POLLOUT;
  }
}

} // namespace

// Hands filled SQEs to the kernel, or, from a thread that may not, wakes the owner, whose
// next turn submits them.
void uring_backend::submit_locked() noexcept
{
  if (can_submit())
    io_uring_submit(&ring_);
  else if (!may_enter())
    interrupt();
}

inline void uring_backend::prep_locked(io_uring_sqe* sqe, io_op* o)
{
  if (o->backend_phase_ == phase_polling || o->backend_phase_ == phase_user_io ||
      o->kind_ == io_kind::connect ||
      o->kind_ == io_kind::wait_read || o->kind_ == io_kind::wait_write ||
      o->kind_ == io_kind::wait_error)
  {
    io_uring_prep_poll_add(sqe, o->fd_, static_cast<unsigned>(poll_mask(o)));
  }
  else
  {
    switch (o->kind_)
    {
    case io_kind::recv:
      if (o->pool_)
      {
        // No buffer of our own: the kernel picks one from the pool's ring when data is
        // there. A multishot receive must leave the length to the buffers.
        if (o->multishot_)
          io_uring_prep_recv_multishot(sqe, o->fd_, nullptr, 0, o->msg_flags_);
        else
          io_uring_prep_recv(sqe, o->fd_, nullptr, sqe_len(o->iov_[0]), o->msg_flags_);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = static_cast<__u16>(o->pool_->group());
      }
      else if (o->iov_count_ == 1)
        io_uring_prep_recv(sqe, o->fd_, o->iov_[0].iov_base, sqe_len(o->iov_[0]), o->msg_flags_);
      else
      {
        o->build_msghdr();
        io_uring_prep_recvmsg(sqe, o->fd_, &o->msg_, static_cast<unsigned>(o->msg_flags_));
      }
      // Request/response traffic: the previous receive emptied the socket and the peer
      // answers only after our reply, so an attempt now would meet an empty queue, take
      // the socket lock for nothing and arm the poll anyway. POLL_FIRST (5.19, older than
      // the cancel-by-descriptor this backend requires) arms the poll straight away; if
      // data did arrive meanwhile the poll finds it at once and the receive runs from task
      // work, a few hundred nanoseconds later. A receive that filled its buffer, or left
      // data behind, clears the hint, so streaming traffic keeps the inline attempt.
      // The hint is spent here: a re-issue after -EAGAIN or a poll has just seen the
      // socket ready. Never for urgent data (the poll waits for POLLIN, which a lone urgent
      // byte does not raise), nor with MSG_DONTWAIT, which makes the kernel end the request
      // with -EAGAIN where it would arm the poll.
      {
        uring_descriptor* rd = static_cast<uring_descriptor*>(o->desc_);
        if (rd->recv_drained && !(o->msg_flags_ & (MSG_OOB | MSG_DONTWAIT)))
          sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
        rd->recv_drained = false;
      }
      break;
    case io_kind::recv_from:
      o->build_msghdr();
      io_uring_prep_recvmsg(sqe, o->fd_, &o->msg_, static_cast<unsigned>(o->msg_flags_));
      break;
    case io_kind::send:
    {
      // MSG_NOSIGNAL: a peer that reset the connection must give EPIPE, not kill the
      // process with SIGPIPE.
      if (o->iov_count_ == 1)
        io_uring_prep_send(sqe, o->fd_, o->iov_[0].iov_base, sqe_len(o->iov_[0]),
                           o->msg_flags_ | MSG_NOSIGNAL);
      else
      {
        o->build_msghdr();
        io_uring_prep_sendmsg(sqe, o->fd_, &o->msg_,
                              static_cast<unsigned>(o->msg_flags_ | MSG_NOSIGNAL));
      }
      // The hint that kept this send from being tried in user space is spent. No
      // POLL_FIRST here, unlike receives: a send issued after this one in the same
      // submission would go out inline while this one waited for its poll, and its bytes
      // would overtake these.
      static_cast<uring_descriptor*>(o->desc_)->send_full = false;
      break;
    }
    case io_kind::send_to:
      o->build_msghdr();
      io_uring_prep_sendmsg(sqe, o->fd_, &o->msg_,
                            static_cast<unsigned>(o->msg_flags_ | MSG_NOSIGNAL));
      break;
    case io_kind::read:
    {
      // Offset -1 reads at the file position, as read(2) does (pipes, ttys).
      __u64 off = o->offset_ < 0 ? static_cast<__u64>(-1) : static_cast<__u64>(o->offset_);
      if (o->iov_count_ == 1)
        io_uring_prep_read(sqe, o->fd_, o->iov_[0].iov_base,
                           sqe_len(o->iov_[0]), off);
      else
        io_uring_prep_readv(sqe, o->fd_, o->iov_, o->iov_count_, off);
      break;
    }
    case io_kind::write:
    {
      __u64 off = o->offset_ < 0 ? static_cast<__u64>(-1) : static_cast<__u64>(o->offset_);
      if (o->iov_count_ == 1)
        io_uring_prep_write(sqe, o->fd_, o->iov_[0].iov_base,
                            sqe_len(o->iov_[0]), off);
      else
        io_uring_prep_writev(sqe, o->fd_, o->iov_, o->iov_count_, off);
      // A pipe whose reader has gone: EPIPE, not SIGPIPE (only reached with the flag known
      // to work, see phase_user_io).
      if (o->offset_ < 0)
        sqe->rw_flags = nosignal_write_flag();
      break;
    }
    case io_kind::accept:
      if (o->multishot_)
      {
        // One SQE for every connection to come; no peer address (it would be overwritten
        // by each accept before the handler could read it).
        io_uring_prep_multishot_accept(sqe, o->fd_, nullptr, nullptr,
                                       SOCK_CLOEXEC | SOCK_NONBLOCK);
        break;
      }
      o->addrlen_ = o->addr_ ? o->addrlen_ : 0;
      io_uring_prep_accept(sqe, o->fd_, o->addr_, o->addr_ ? &o->addrlen_ : nullptr,
                           SOCK_CLOEXEC | SOCK_NONBLOCK);
      break;
    default:
      break;
    }
  }
  uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
  if (d->fixed >= 0)
  {
    sqe->fd = d->fixed;
    sqe->flags |= IOSQE_FIXED_FILE;
  }
  io_uring_sqe_set_data(sqe, o);
  // The kernel carries o to whichever thread reaps its CQE.
  tsan_release(o);
}

// Returns false when the SQ had no room even after a flush (the op is then backlogged).
bool uring_backend::queue_locked(io_op* o)
{
  bool timed = o->deadline_ns_ >= 0;
  // An op with a deadline and its LINK_TIMEOUT must be adjacent in the SQ.
  if (timed && io_uring_sq_space_left(&ring_) < 2 && can_submit())
    io_uring_submit(&ring_);
  if (timed && io_uring_sq_space_left(&ring_) < 2)
  {
    backlog_.push(o);
    return false;
  }
  io_uring_sqe* sqe = get_sqe_locked();
  if (!sqe)
  {
    backlog_.push(o);
    return false;
  }
  prep_locked(sqe, o);
  if (single_ && !o->ring_hook_.is_linked())
    static_cast<uring_descriptor*>(o->desc_)->in_kernel.push_back(*o);
  if (timed)
  {
    // Absolute, on CLOCK_MONOTONIC: an op re-issued after -EAGAIN (or a re-armed accept)
    // keeps its original deadline. The kernel copies the timespec when it takes the SQE.
    sqe->flags |= IOSQE_IO_LINK;
    o->link_ts_[0] = o->deadline_ns_ / 1000000000;
    o->link_ts_[1] = o->deadline_ns_ % 1000000000;
    io_uring_sqe* lt = io_uring_get_sqe(&ring_);
    io_uring_prep_link_timeout(lt, reinterpret_cast<__kernel_timespec*>(o->link_ts_),
                               IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(lt, tag_ignore);
  }
  return true;
}

// Whether sending from user space right now, with the send(2) the epoll backend would make,
// is cheaper than an SQE. It is when the SQE would travel alone: submitted at once (several
// threads run the context, or this one does not), or carried by the next wait, which comes
// right after the current handler since nothing else is queued or ready. Then the SQE
// costs an io_uring_enter of its own, the kernel's request setup and CQE, and a pass of the
// scheduler's wait loop that only reaps that CQE; send(2) costs the syscall alone, and the
// completion goes straight to the ready queue. In ping-pong traffic that halves the ring
// round trips (2,625 -> 1,930 instructions per round trip at one connection, tools/instr).
// When handlers of a batch of completions each send, only the last one finds nothing
// queued behind it, and by then the others' SQEs wait in the SQ, so batches keep sharing
// one enter (measured neutral at 64 and 256 connections and pipelined). Only with no
// other op of the descriptor in the kernel, so that bytes never overtake an earlier send,
// and not after a send found the buffer full. Not with SQPOLL, whose kernel thread submits
// without a syscall. Not with MSG_WAITALL either: the ring's send keeps going until every
// byte is sent, where send(2) returns what fitted.
inline bool uring_backend::send_now_pays_locked(const uring_descriptor* d,
                                                const io_op* o) const noexcept
{
  return (o->kind_ == io_kind::send || o->kind_ == io_kind::send_to) && d->inflight == 0 &&
         !d->send_full && !(o->msg_flags_ & MSG_WAITALL) && io_uring_sq_ready(&ring_) == 0 &&
         !sqpoll() && !foreign_locked() && sched_.starts_alone();
}

void uring_backend::flush() noexcept
{
  std::lock_guard<futex_mutex> lock(sq_mutex_);
  if (!ring_ok_)
    return;
  // A runner going idle or leaving run(): on a single-issuer ring, ops its handlers started
  // before it ever reached the kernel wait in the backlog of a ring not yet enabled.
  begin_turn_locked();
  if (io_uring_sq_ready(&ring_) > 0)
    submit_locked();
}

// What the thread running the context does first in each turn: own a single-issuer ring
// (once: the first thread here becomes its owner), then queue what other threads left to
// it and what found the SQ full.
void uring_backend::begin_turn_locked() noexcept
{
  if (single_)
    enable_locked();
  // Off the owner (context destruction on another thread) only the CQ can be looked at.
  bool can_enter = may_enter();
  while (can_enter && !deferred_requests_.empty() && io_uring_sq_space_left(&ring_) > 0)
  {
    std::uint64_t c = deferred_requests_.back();
    deferred_requests_.pop_back();
    prep_request(io_uring_get_sqe(&ring_), c);
  }
  while (!backlog_.empty() && io_uring_sq_space_left(&ring_) >= 2)
    queue_locked(static_cast<io_op*>(backlog_.pop()));
}

// Makes the send with send(2) (see send_now_pays_locked). Returns true when the op is
// complete and posted; false, with the lock held again, when it must go to the ring.
// Out of line: the common path of start_op stays small.
__attribute__((noinline)) bool uring_backend::sent_now(uring_descriptor* d, io_op* o,
                                                       std::unique_lock<futex_mutex>& lock)
{
  // Unlocked: the syscall holds up no other thread's submissions. Counted in inflight
  // meanwhile, so that a close from another thread cannot free d under it; a cancel that
  // comes in between marks the op (backend_tag_, cancel_gen) and is honoured below if the
  // send has to wait.
  ++d->inflight;
  lock.unlock();
  int flags = o->msg_flags_;
  o->msg_flags_ |= MSG_DONTWAIT;
  bool done = o->perform();
  o->msg_flags_ = flags;
  lock.lock();
  --d->inflight;
  bool cancelled = o->backend_tag_ != d->cancel_gen;
  if (!done && !cancelled)
  {
    if (o->kind_ == io_kind::send)
      d->send_full = true;
    return false;
  }
  // A short send filled the buffer: the next one is not tried from here.
  if (done && o->kind_ == io_kind::send && o->drained())
    d->send_full = true;
  release_locked(d); // closed by another thread meanwhile
  lock.unlock();
  if (!done)
    o->set_result(-ECANCELED);
  // Never in the kernel: a cancel emitted before the handler runs has nothing to ask the
  // backend for, and must not reach a descriptor the handler's caller may have closed
  // since (io_op::cancel checks desc_).
  o->desc_ = nullptr;
  sched_.post_completion(o);
  return true;
}

void uring_backend::start_op(descriptor_state* ds, io_op* o)
{
  uring_descriptor* d = static_cast<uring_descriptor*>(ds);
  sched_.count_op(static_cast<unsigned>(o->kind_));
  o->desc_ = d;
  o->backend_ = this;
  o->backend_phase_ = phase_issue;
  if (o->kind_ == io_kind::write && o->offset_ < 0 && !nosignal_write_flag())
    o->backend_phase_ = phase_user_io;
  std::unique_lock<futex_mutex> lock(sq_mutex_);
  if (d->fixed < 0 && !d->by_number)
  {
    // Off the owner of a single-issuer ring the kernel refuses registrations.
    if (fixed_files_ && may_enter())
      fix_descriptor_locked(d);
    d->by_number = d->fixed < 0;
  }
  o->backend_tag_ = d->cancel_gen;
  if (send_now_pays_locked(d, o) && sent_now(d, o, lock))
    return;
  ++d->inflight;
  add_inflight_locked(1);
  if (!take_lane_locked(d, o))
    return; // issued when the op ahead of it in its lane ends
  issue_locked(o);
  if (must_submit_now())
    submit_locked();
}

inline void uring_backend::issue_locked(io_op* o)
{
  if (foreign_locked())
  {
    // The owner's next turn queues and submits it (run() drains the backlog first).
    backlog_.push(o);
    if (enabled_.load(std::memory_order_relaxed))
      interrupt();
    return;
  }
  queue_locked(o);
}

// Whether o may be issued now: it takes no lane, or its lane is free. Otherwise it waits
// in the lane, counted in flight already (so has_pending() and a close see it).
inline bool uring_backend::take_lane_locked(uring_descriptor* d, io_op* o) noexcept
{
  int lane = lane_of(o);
  o->backend_lane_ = static_cast<std::int8_t>(lane);
  if (lane < 0)
    return true;
  if (!d->lane_holder[lane])
  {
    d->lane_holder[lane] = o;
    return true;
  }
  d->lane_waiting[lane].push(o);
  d->lanes_waiting |= static_cast<std::uint8_t>(1u << lane);
  if (o->deadline_ns_ >= 0)
  {
    o->deadline_entry_.op = o;
    o->deadline_entry_.deadline_ns = o->deadline_ns_;
    lane_deadlines_.insert(o->deadline_entry_);
    // The reaper may be asleep on another thread with no deadline in its wait.
    if (must_submit_now())
      interrupt();
  }
  return false;
}

// The next op of the lane o held, issued now that o has ended. The caller submits as it
// would for a new op (the reaper's next enter carries it). Waiting ops that a cancel of
// the descriptor (cancel_ops, close, cancel_all) reached are aborted on the way: their
// cancel left them queued so that they end after the op ahead of them.
void uring_backend::issue_next_in_lane_locked(uring_descriptor* d, int lane, op_queue& aborted)
{
  op_queue& waiting = d->lane_waiting[lane];
  while (!waiting.empty())
  {
    io_op* next = static_cast<io_op*>(waiting.pop());
    unlist_lane_deadline_locked(next); // issued, it gets its LINK_TIMEOUT (queue_locked)
    if (next->backend_tag_ != d->cancel_gen && !shutting_down_)
    {
      abort_unissued_locked(d, next, aborted);
      continue;
    }
    lane_left_locked(d, lane);
    d->lane_holder[lane] = next;
    if (shutting_down_)
      backlog_.push(next); // reclaimed with the rest of the backlog, never issued
    else
      issue_locked(next);
    return;
  }
  lane_left_locked(d, lane);
}

} // namespace uring
} // namespace detail
} // namespace blitz
