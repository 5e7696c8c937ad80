#ifndef BLITZ_LIBS_URING_URING_BACKEND_HPP
#define BLITZ_LIBS_URING_URING_BACKEND_HPP

// The io_uring backend: a true completion model.
//
// Submission: any thread may start an op (Asio lets a non-running thread call async_*), so
// the SQ is guarded by sq_mutex_. The thread that runs the scheduler alone only fills SQEs;
// they reach the kernel in the same io_uring_enter that waits for completions, one syscall
// per loop turn. A thread that is not the single runner submits at once, because the
// runner may be asleep in the kernel and would not see the new SQEs.
//
// Completion: user_data is the io_op itself (Token = pointer), or one of the small tags
// below. Only the reaper (one thread at a time, see scheduler) reads the CQ.
//
// Kernel quirks handled here:
//  - SQ full: flush to the kernel and retry; if the kernel cannot take more (CQ backlog),
//    park the op on backlog_ and submit it on the next turn. Never an error to the user.
//  - CQ overflow: the ring is created with a large CQ; with IORING_FEAT_NODROP the kernel
//    keeps overflowed CQEs and reports IORING_SQ_CQ_OVERFLOW, which makes us enter with
//    GETEVENTS to flush them; -EBUSY from enter means "reap first", which the next turn does.
//  - -EAGAIN as a result (older kernels, or files that refuse to poll internally): wait for
//    readiness with POLL_ADD and issue the op again.
//  - Cancellation: socket.cancel()/close() use IORING_ASYNC_CANCEL_FD|ALL; an op keeps its
//    memory (and the caller's buffers stay referenced) until its own CQE arrives.
//
// The backend is one class, declared here and defined in four files by what they do to the
// kernel:
//  - uring_ring.cpp: setup, registered files and descriptors, buffer rings, teardown;
//  - uring_submit.cpp: ops becoming SQEs, lanes, and sends made with send(2);
//  - uring_complete.cpp: the reaper's turn and what each CQE means for its op;
//  - uring_cancel.cpp: cancels, aborts of ops not in the kernel, and wake-ups.
// Each hot path (start_op, run) stays within one file, so that without LTO the compiler
// still inlines along it.

#include <blitz/detail/backend.hpp>
#include <blitz/detail/buffer_pool_impl.hpp>
#include <blitz/detail/futex_mutex.hpp>
#include <blitz/detail/multishot_op.hpp>
#include <blitz/detail/pipe_write.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/slab_pool.hpp>
#include <blitz/detail/tsan.hpp>
#include <blitz/error.hpp>

#include "buffer_ring.hpp"

#include <liburing.h>

#include <boost/intrusive/list.hpp>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

namespace blitz {
namespace detail {
namespace uring {

static_assert(sizeof(io_op::link_ts_) == sizeof(__kernel_timespec),
              "io_op::link_ts_ stands in for a __kernel_timespec");

// user_data tags; ops are at least 8-byte aligned so never collide with these.
constexpr std::uint64_t tag_ignore = 0; // results of cancel requests
constexpr std::uint64_t tag_wakeup = 1; // the eventfd read that interrupt() completes
// Low bits 2, descriptor above: a cancel by descriptor that names a duplicate, closed when
// the cancel completes (see cancel_ops on a single-issuer ring).
constexpr std::uint64_t tag_close = 2;
// Low bits 3, slot above: an update emptying a registered-file slot, queued off the owner
// of a single-issuer ring; the slot is free again once it completes (see unfix_descriptor_locked).
constexpr std::uint64_t tag_unfix = 3;
// In deferred_requests_ only: cancel everything in the kernel (cancel_all), for the owner's
// next turn when the SQ had no room; its own completion is tag_ignore.
constexpr std::uint64_t tag_cancel_any = 4;
constexpr std::uint64_t tag_bits = 7;
// Fills sqe with a request as uring_backend::deferred_requests_ describes it.
void prep_request(io_uring_sqe* sqe, std::uint64_t request) noexcept;

// io_op::backend_phase_ values.
constexpr std::uint8_t phase_issue = 0;   // the op itself is in the kernel
constexpr std::uint8_t phase_polling = 1; // a POLL_ADD stands in for it until ready
// A write at the descriptor's position (a pipe) on a kernel without RWF_NOSIGNAL: a POLL_ADD
// waits for room and the write itself runs in user space, where SIGPIPE can be held back
// (pipe_write.hpp); a write issued to the kernel would raise it in whichever thread enters.
constexpr std::uint8_t phase_user_io = 2;

// A descriptor's ops in the kernel of a single-issuer ring (see io_op::ring_hook_).
using ring_op_list = boost::intrusive::list<
    io_op, boost::intrusive::member_hook<io_op, decltype(io_op::ring_hook_), &io_op::ring_hook_>,
    boost::intrusive::constant_time_size<false>>;

struct uring_descriptor : descriptor_state
{
  // Slot in the registered-file table, -1 while the descriptor is used through its number
  // (no table, table full, first async op started off the owner of a single-issuer ring,
  // or no async op yet); sq_mutex_.
  int fixed = -1;
  // Some SQE named the descriptor by number: it never gets a slot after that, so that a
  // descriptor with a slot has no SQE by number that a close off the owner would have to
  // wait for (cancel_ops); sq_mutex_.
  bool by_number = false;
  int inflight = 0;         // SQEs of ops on this fd not yet completed; sq_mutex_
  std::uint32_t cancel_gen = 0; // bumped by cancel_ops; sq_mutex_
  bool closed = false;      // deregistered; freed when inflight drops to 0; sq_mutex_
  // The last stream receive came back short and the kernel saw nothing left behind it
  // (io_op::drained, no IORING_CQE_F_SOCK_NONEMPTY): the next receive is issued with
  // IORING_RECVSEND_POLL_FIRST; sq_mutex_. See prep_locked.
  bool recv_drained = false;
  // The last stream send made with send(2) came back short, or found no room: the send
  // buffer is full, so the next send goes to the ring rather than being tried that way
  // again (see send_now_pays_locked); its SQE clears this; sq_mutex_.
  bool send_full = false;
  // In-order lanes, one for receives (and accepts and read waits), one for sends: bit k set
  // while lane_waiting[k] holds ops; sq_mutex_. Kept here, by the other flags, so that
  // ending an op reads no line of the descriptor beyond the first.
  std::uint8_t lanes_waiting = 0;
  // The op of each lane in flight (issued, backlogged or starved, not yet ended); sq_mutex_.
  io_op* lane_holder[2] = {nullptr, nullptr};
  // Single-issuer ring: the ops of this descriptor that are in the kernel, for a context
  // destroyed off its owner to reclaim (shutdown); sq_mutex_. Listed here rather than in
  // one list for the ring: linking and unlinking an op then touch this descriptor, which
  // starting and ending the op touch anyway, where a ring-wide list wrote into its
  // neighbours, other connections' ops and cold at 256 connections (1.6 cache misses per
  // round trip in callgrind's simulation).
  ring_op_list in_kernel;
  // Ops of each lane started while another was in flight, in the order they were started:
  // issued one at a time (see lane_of); sq_mutex_.
  op_queue lane_waiting[2];
  // Links the descriptor into uring_backend::ring_descriptors_; sq_mutex_.
  boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>
      ring_hook;
};

class uring_backend final : public backend
{
public:
  uring_backend(scheduler& s) : sched_(s) {}

  bool init(const scheduler_options& opts, boost::system::error_code& ec);
  bool sqpoll() const noexcept { return (ring_.flags & IORING_SETUP_SQPOLL) != 0; }
  ~uring_backend() override;

  const char* name() const noexcept override { return "io_uring"; }
  bool native_file_io() const noexcept override { return true; }
  descriptor_state* register_descriptor(int fd, boost::system::error_code& ec) override;
  void deregister_descriptor(descriptor_state* d) noexcept override;
  void start_op(descriptor_state* d, io_op* o) override;
  void cancel_ops(descriptor_state* d) noexcept override;
  void cancel_op(descriptor_state* d, io_op* o) noexcept override;
  std::size_t cancel_all() noexcept override;
  std::size_t run(op_queue& ready, std::int64_t timeout_ns) override;
  void interrupt() noexcept override;
  void flush() noexcept override;
  bool can_reap() const noexcept override { return may_enter(); }
  bool has_pending() const noexcept override
  {
    // Relaxed: a stale answer only delays a non-blocking reap to the next turn.
    return inflight_.load(std::memory_order_relaxed) > 0;
  }
  std::size_t pending_ops() const noexcept override
  {
    // Relaxed: a statistic.
    long n = inflight_.load(std::memory_order_relaxed);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  void shutdown() noexcept override;
  void notify_fork(fork_phase phase) override;
  std::unique_ptr<buffer_ring> make_buffer_ring(unsigned entries,
                                                boost::system::error_code& ec) override;
  void buffers_returned() noexcept override;

private:
  // Hot and used by every file: inline.
  io_uring_sqe* get_sqe_locked()
  {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe && can_submit())
    {
      // SQ full: hand what is queued to the kernel to make room.
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }
  // Declared inline and defined in the one file that calls them: the compiler then inlines
  // along the hot paths as it did when the backend was one file (an out-of-line
  // prep_locked, take_lane_locked and complete_cqe_locked cost ~100 instructions per round
  // trip, tools/instr), and a call from another file fails to link.
  inline void prep_locked(io_uring_sqe* sqe, io_op* o);
  bool queue_locked(io_op* o);
  void arm_wakeup_locked();
  inline unsigned flush_locked();
  inline int enter(unsigned to_submit, unsigned min_complete, unsigned flags,
                   std::int64_t timeout_ns);
  // The completion side runs with sq_mutex_ held for a whole batch of CQEs: one lock per
  // reap instead of one per completion (the lock was a tenth of the reaper's instructions).
  inline void complete_cqe_locked(io_uring_cqe* cqe, op_queue& ready, op_queue& retry,
                           std::unique_lock<futex_mutex>& lock);
  void complete_multishot_locked(multishot_op* o, int res, std::int32_t buffer, bool more,
                                 op_queue& ready, op_queue& retry,
                                 std::unique_lock<futex_mutex>& lock);
  bool retry_without_buffer_locked(io_op* o, op_queue& retry);
  inline void end_op_locked(io_op* o, op_queue& ready);
  inline bool take_lane_locked(uring_descriptor* d, io_op* o) noexcept;
  // o ends for good (or is aborted): its lane goes to the next op waiting in it, if any.
  // Ops waiting there that a cancel of the descriptor reached end now, into `aborted`,
  // which the caller has already given o: they complete after it, in the order they were
  // started, as a cancel completes them in Asio and on epoll.
  // `lane` is o->backend_lane_, read while o was certainly alive: an aborted multishot op
  // may be freed by its drain on another thread as soon as it is handed over.
  void leave_lane_locked(uring_descriptor* d, const io_op* o, int lane, op_queue& aborted)
  {
    if (lane < 0 || d->lane_holder[lane] != o)
      return;
    d->lane_holder[lane] = nullptr;
    if (d->lanes_waiting & (1u << lane))
      issue_next_in_lane_locked(d, lane, aborted);
  }
  void issue_next_in_lane_locked(uring_descriptor* d, int lane, op_queue& aborted);
  // An op leaves its lane's waiting queue (issued or aborted): its deadline, if any, is no
  // longer the lane's to keep.
  void unlist_lane_deadline_locked(io_op* o) noexcept
  {
    if (o->deadline_ns_ >= 0 && o->deadline_entry_.linked())
      lane_deadlines_.remove(o->deadline_entry_);
  }
  void expire_lane_deadlines_locked(op_queue& ready);
  // After an op left lane_waiting[lane]: the lane's bit goes when nothing waits there.
  static void lane_left_locked(uring_descriptor* d, int lane) noexcept
  {
    if (d->lane_waiting[lane].empty())
      d->lanes_waiting &= static_cast<std::uint8_t>(~(1u << lane));
  }
  // o, not in the kernel (waiting in a lane, backlogged, starved, or between an -EAGAIN
  // and its re-issue), ends with
  // operation_aborted; out receives its completion.
  void abort_unissued_locked(uring_descriptor* d, io_op* o, op_queue& out) noexcept
  {
    o->set_result(-ECANCELED);
    --d->inflight;
    add_inflight_locked(-1);
    finish_op(o, out);
  }
  inline void issue_locked(io_op* o);
  // A descriptor deregistered while its ops were in the kernel is freed by the last of
  // them to leave. Inline: every op's end asks, and the answer is almost always no.
  void release_locked(uring_descriptor* d)
  {
    if (d->closed && d->inflight == 0)
      free_descriptor_locked(d);
  }
  void free_descriptor_locked(uring_descriptor* d) noexcept;
  bool must_submit_now() const noexcept
  {
    // Only the single thread running the scheduler is sure to enter the kernel again soon;
    // with several runners the reaper may be another thread already asleep in the kernel.
    // (A runner that joins between this check and its next turn is covered by flush():
    // every thread flushes before it goes idle.)
    return !sched_.running_in_this_thread() || !sched_.one_runner();
  }
  inline bool send_now_pays_locked(const uring_descriptor* d, const io_op* o) const noexcept;
  bool sent_now(uring_descriptor* d, io_op* o, std::unique_lock<futex_mutex>& lock);
  // Single-issuer rings: whether this thread may enter the kernel or register anything.
  bool may_enter() const noexcept
  {
    // Acquire: pairs with enable_locked's release, so owner_ is seen once enabled_ is.
    return !single_ || !enabled_.load(std::memory_order_acquire) ||
           owner_ == std::this_thread::get_id();
  }
  // Single-issuer ring and this thread is not (yet) its owner: only the owner puts SQEs that
  // name a descriptor into the SQ, and always submits them in its current turn, so a
  // descriptor closed elsewhere is never named by an SQE still waiting there.
  bool foreign_locked() const noexcept
  {
    return single_ && (!enabled_.load(std::memory_order_relaxed) ||
                       owner_ != std::this_thread::get_id());
  }
  // Whether this thread can hand SQEs to the kernel now: it may enter, and a single-issuer
  // ring has been enabled (before that nobody can, and run() submits on enabling it).
  bool can_submit() const noexcept
  {
    return may_enter() && (!single_ || enabled_.load(std::memory_order_relaxed));
  }
  void submit_locked() noexcept;
  void enable_locked() noexcept;
  void begin_turn_locked() noexcept;
  void wait_consumed(unsigned tail) noexcept;
  bool abort_parked_locked(uring_descriptor* d, io_op* only, op_queue& aborted) noexcept;
  bool abort_waiting_in_lane_locked(uring_descriptor* d, io_op* only, op_queue& aborted) noexcept;
  bool abort_backlogged_locked(uring_descriptor* d, io_op* only, op_queue& aborted) noexcept;
  void forget_locked(io_op* o) noexcept
  {
    if (o->ring_hook_.is_linked())
    {
      ring_op_list& ops = static_cast<uring_descriptor*>(o->desc_)->in_kernel;
      ops.erase(ops.iterator_to(*o));
    }
  }
  // sq_mutex_ orders every change, so a plain load and store lose none: no locked
  // read-modify-write (~20 cycles, two per op) for a count only ever read as a hint.
  // Relaxed: the lock orders the writers, and the readers ask for no more than a hint.
  void add_inflight_locked(long delta) noexcept
  {
    inflight_.store(inflight_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  void queue_cancel_fd_locked(int fd, std::uint64_t user_data) noexcept;
  void queue_request_locked(std::uint64_t request) noexcept;
  void init_fixed_files() noexcept;
  void fix_descriptor_locked(uring_descriptor* d) noexcept;
  void unfix_descriptor_locked(uring_descriptor* d) noexcept;

  scheduler& sched_;
  io_uring ring_;
  bool ring_ok_ = false;
  // shutdown() has begun: an op that reaches the front of its lane joins the backlog, which
  // shutdown reclaims, instead of being issued; sq_mutex_.
  bool shutting_down_ = false;
  // Deadlines (cancel_after) of ops waiting in a lane: not issued yet, they have no
  // LINK_TIMEOUT, so run() shortens its wait to the earliest and aborts those whose
  // deadline has passed, as the epoll backend does for its parked ops; sq_mutex_.
  timer_wheel lane_deadlines_{scheduler::now_ns()};
  int event_fd_ = -1;
  std::uint64_t event_value_ = 0;
  // Whether the eventfd read is armed: interrupt() writes only when a wakeup can be seen,
  // and the reaper re-arms after consuming one. Guarded by sq_mutex_.
  bool wakeup_armed_ = false;
  // Coalesces interrupt() calls between two wakeups (wake_reaper explains the ordering).
  std::atomic<bool> wakeup_pending_{false};
  mutable futex_mutex sq_mutex_; // taken per operation: see futex_mutex for why not std::mutex
  op_queue backlog_; // ops waiting for SQ space; sq_mutex_
  // Receives whose buffer pool was empty at its limit (-ENOBUFS and no room to grow): they
  // go back to the kernel when a buffer is returned (buffers_returned). sq_mutex_.
  op_queue starved_;
  // Buffer group ids for buffer_pool rings; sq_mutex_.
  unsigned next_group_ = 0;
  // Registered files: a sparse table, slots handed to descriptors at their first async op.
  // Free slots, and whether the table exists; sq_mutex_.
  std::vector<int> free_slots_;
  bool fixed_files_ = false;
  // io_context::options::single_thread: the ring is SINGLE_ISSUER|DEFER_TASKRUN, created
  // disabled and enabled by the first thread that runs the context, which becomes its
  // owner: the kernel then takes submissions, waits and registrations from that thread
  // alone. Any thread may still start, cancel and close: those fill SQEs and wake the
  // owner, who submits them. Completion work runs only when the owner asks for events, in
  // batches, instead of interrupting it (the raw liburing floor owes ~25% of its lead on
  // pipelined echo to this).
  bool single_ = false;
  std::atomic<bool> enabled_{false};
  std::thread::id owner_; // written once, before enabled_ (release)
  // Requests that found the SQ full (off the owner, or with the kernel refusing SQEs), as
  // user_data (tag_ignore or tag_close: a cancel by the descriptor above the tag;
  // tag_unfix: a slot to empty; tag_cancel_any: cancel_all's request); queued by the
  // owner's next turn; sq_mutex_.
  std::vector<std::uint64_t> deferred_requests_;
  // Every registered descriptor, for cancel_all; on a single-issuer ring each lists its
  // ops in the kernel, for shutdown; sq_mutex_.
  boost::intrusive::list<
      uring_descriptor,
      boost::intrusive::member_hook<uring_descriptor, decltype(uring_descriptor::ring_hook),
                                    &uring_descriptor::ring_hook>,
      boost::intrusive::constant_time_size<false>>
      ring_descriptors_;
  // Duplicates named by cancels not yet completed: closed by their CQE, or at destruction
  // when the owner never submitted them; sq_mutex_.
  std::vector<int> cancel_dups_;
  // In-flight ops (SQEs issued, CQE not yet seen), for has_pending() and shutdown().
  // Changed only under sq_mutex_ (add_inflight_locked); atomic for has_pending()'s look
  // without it.
  std::atomic<long> inflight_{0};
};

} // namespace uring
} // namespace detail
} // namespace blitz

#endif
