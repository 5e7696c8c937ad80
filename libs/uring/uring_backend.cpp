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
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace {

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
constexpr std::uint64_t tag_bits = 7;
// What an emptied slot holds; the kernel only reads it (io_uring_prep_files_update wants a
// pointer to non-const).
int no_file = -1;

// Fills sqe with a request as uring_backend::deferred_requests_ describes it.
void prep_request(io_uring_sqe* sqe, std::uint64_t request) noexcept
{
  std::uint64_t tag = request & tag_bits;
  if (tag == tag_unfix)
  {
    io_uring_prep_files_update(sqe, &no_file, 1, static_cast<int>(request >> 3));
    io_uring_sqe_set_data64(sqe, request);
    return;
  }
  io_uring_prep_cancel_fd(sqe, static_cast<int>(request >> 3), IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, tag == tag_close ? request : tag_ignore);
}

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
  std::unique_ptr<buffer_ring> make_buffer_ring(unsigned entries,
                                                boost::system::error_code& ec) override;
  void buffers_returned() noexcept override;

private:
  io_uring_sqe* get_sqe_locked();
  void prep_locked(io_uring_sqe* sqe, io_op* o);
  bool queue_locked(io_op* o);
  void arm_wakeup_locked();
  unsigned flush_locked();
  int enter(unsigned to_submit, unsigned min_complete, unsigned flags, std::int64_t timeout_ns);
  // The completion side runs with sq_mutex_ held for a whole batch of CQEs: one lock per
  // reap instead of one per completion (the lock was a tenth of the reaper's instructions).
  void complete_cqe_locked(io_uring_cqe* cqe, op_queue& ready, op_queue& retry,
                           std::unique_lock<futex_mutex>& lock);
  void complete_multishot_locked(multishot_op* o, int res, std::int32_t buffer, bool more,
                                 op_queue& ready, op_queue& retry,
                                 std::unique_lock<futex_mutex>& lock);
  bool retry_without_buffer_locked(io_op* o, op_queue& retry);
  void end_op_locked(io_op* o, op_queue& ready);
  bool take_lane_locked(uring_descriptor* d, io_op* o) noexcept;
  // o ends for good (or is aborted): its lane goes to the next op waiting in it, if any.
  void leave_lane_locked(uring_descriptor* d, io_op* o)
  {
    int lane = o->backend_lane_;
    if (lane < 0 || d->lane_holder[lane] != o)
      return;
    d->lane_holder[lane] = nullptr;
    if (d->lanes_waiting & (1u << lane))
      issue_next_in_lane_locked(d, lane);
  }
  void issue_next_in_lane_locked(uring_descriptor* d, int lane);
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
    o->desc_ = nullptr; // see end_op_locked
    finish_op(o, out);
  }
  void issue_locked(io_op* o);
  void release_locked(uring_descriptor* d);
  bool must_submit_now() const noexcept;
  bool send_now_pays_locked(const uring_descriptor* d, const io_op* o) const noexcept;
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
  // Coalesces interrupt() calls between two wakeups: acq_rel so a second interrupter that
  // sees true knows the first one's write will be observed by the reaper.
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
  // Requests queued off the owner that found the SQ full, as user_data (tag_ignore or
  // tag_close: a cancel by the descriptor above the tag; tag_unfix: a slot to empty);
  // queued by the owner's next turn; sq_mutex_.
  std::vector<std::uint64_t> deferred_requests_;
  // Single-issuer ring: the descriptors, each listing its ops in the kernel; sq_mutex_.
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

bool uring_backend::init(const scheduler_options& opts, boost::system::error_code& ec)
{
  const unsigned entries = opts.ring_entries;
  const unsigned sqpoll_flags = opts.sqpoll ? IORING_SETUP_SQPOLL : 0u;
  io_uring_params p{};
  // A CQ much larger than the SQ: a burst of completions (1,000 connections each with a
  // read outstanding) should not overflow in the common case.
  //
  // Not COOP_TASKRUN (nor DEFER_TASKRUN): any thread may submit here, and the kernel runs
  // a request's completion work in the context of the thread that submitted it. With
  // COOP_TASKRUN that thread is not notified, so a submitter asleep elsewhere (a main
  // thread that started an async_connect and then joined) would hold the completion back
  // indefinitely. Those flags are only safe when a single thread both submits and waits.
  // Nor SINGLE_ISSUER (which DEFER_TASKRUN requires): on it the kernel answers -EEXIST not
  // only to io_uring_enter but also to io_uring_register from any other thread (checked on
  // 6.18), so a buffer_pool created on main for a context run elsewhere, a registered-file
  // update at close, or a close from another thread would all have to be carried to the
  // owning thread and waited for.
  //
  // With io_context::options::single_thread the context promises one running thread, and
  // SINGLE_ISSUER|DEFER_TASKRUN are used (see single_); TASKRUN_FLAG tells a non-blocking
  // reap that deferred completions wait.
  int r = -EINVAL;
  if (opts.single_issuer && !sqpoll_flags)
  {
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
              IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED;
    p.cq_entries = entries * 16;
    r = io_uring_queue_init_params(entries, &ring_, &p);
    single_ = r == 0;
  }
  if (!single_)
  {
    p = io_uring_params{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | sqpoll_flags;
    p.cq_entries = entries * 16;
    p.sq_thread_idle = opts.sqpoll_idle_ms;
    r = io_uring_queue_init_params(entries, &ring_, &p);
  }
  if (r < 0 && sqpoll_flags)
  {
    // SQPOLL is an optimisation: a kernel or policy that refuses it still gets a ring.
    p = io_uring_params{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = entries * 16;
    r = io_uring_queue_init_params(entries, &ring_, &p);
  }
  if (r == -EINVAL)
  {
    // Older kernel (SUBMIT_ALL is 5.18): plain flags rather than giving up on io_uring.
    p = io_uring_params{};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 16;
    r = io_uring_queue_init_params(entries, &ring_, &p);
  }
  if (r < 0)
  {
    // EPERM (seccomp, io_uring_disabled=2 or group), ENOSYS, ENOMEM (RLIMIT_MEMLOCK on
    // kernels before 5.12): all mean "use epoll".
    ec.assign(-r, boost::system::system_category());
    return false;
  }
  ring_ok_ = true;

  // The wait with a timeout and no SQE of its own needs IORING_FEAT_EXT_ARG (5.11);
  // NODROP (5.5) guarantees overflowed CQEs are kept rather than lost.
  if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_NODROP))
  {
    ec = error::operation_not_supported;
    return false;
  }

  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (!probe)
  {
    ec = error::operation_not_supported;
    return false;
  }
  const int needed[] = {IORING_OP_RECV,      IORING_OP_SEND,     IORING_OP_RECVMSG,
                        IORING_OP_SENDMSG,   IORING_OP_ACCEPT,   IORING_OP_POLL_ADD,
                        IORING_OP_ASYNC_CANCEL, IORING_OP_READ, IORING_OP_WRITE,
                        IORING_OP_READV,     IORING_OP_WRITEV};
  bool all = true;
  for (int opc : needed)
    all = all && io_uring_opcode_supported(probe, opc);
  io_uring_free_probe(probe);
  if (!all)
  {
    ec = error::operation_not_supported;
    return false;
  }

  // Blocking on purpose: io_uring answers a read of an O_NONBLOCK eventfd with -EAGAIN
  // instead of waiting for it to become readable.
  event_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (event_fd_ < 0)
  {
    ec.assign(errno, boost::system::system_category());
    return false;
  }

  // Cancelling by descriptor (5.19) is what close() relies on; probe it on the eventfd,
  // where nothing is pending: a supporting kernel answers 0 or -ENOENT, an older -EINVAL.
  // (A single-issuer ring is still disabled; DEFER_TASKRUN needs 6.1 anyway.)
  if (!single_)
  {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_cancel_fd(sqe, event_fd_, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, tag_ignore);
    io_uring_submit(&ring_);
    io_uring_cqe* cqe = nullptr;
    int w = io_uring_wait_cqe(&ring_, &cqe);
    int res = w < 0 ? w : cqe->res;
    if (w == 0)
      io_uring_cqe_seen(&ring_, cqe);
    if (res == -EINVAL)
    {
      ec = error::operation_not_supported;
      return false;
    }
  }
  if (opts.iowq_max_bounded || opts.iowq_max_unbounded)
  {
    // Without a cap, a burst of blocking file I/O can start a kernel worker per request.
    unsigned caps[2] = {opts.iowq_max_bounded, opts.iowq_max_unbounded};
    int rr = io_uring_register_iowq_max_workers(&ring_, caps);
    if (rr < 0)
    {
      ec.assign(-rr, boost::system::system_category());
      return false;
    }
  }
  if (opts.registered_files)
    init_fixed_files();
  std::lock_guard<futex_mutex> lock(sq_mutex_);
  arm_wakeup_locked();
  if (!single_)
    io_uring_submit(&ring_);
  return true;
}

// Waits (bounded) until the kernel has consumed the SQEs up to tail: the owner is inside
// run() whenever SQEs wait (it fills them only there or submits at once), and it was woken.
void uring_backend::wait_consumed(unsigned tail) noexcept
{
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  // Acquire: pairs with the kernel's release of the SQ head after it read the entries.
  while (static_cast<int>(__atomic_load_n(ring_.sq.khead, __ATOMIC_ACQUIRE) - tail) < 0)
  {
    if (std::chrono::steady_clock::now() > end)
      return; // an owner that stopped running mid-turn: nothing better to do than go on
    std::this_thread::yield();
  }
}

// The first thread to run a single-issuer context becomes its owner.
void uring_backend::enable_locked() noexcept
{
  if (enabled_.load(std::memory_order_relaxed))
    return;
  io_uring_register(ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
  owner_ = std::this_thread::get_id();
  // Release: may_enter() on other threads reads owner_ after seeing enabled_.
  enabled_.store(true, std::memory_order_release);
}

// Hands filled SQEs to the kernel, or, from a thread that may not, wakes the owner, whose
// next turn submits them.
void uring_backend::submit_locked() noexcept
{
  if (can_submit())
    io_uring_submit(&ring_);
  else if (!may_enter())
    interrupt();
}

void uring_backend::queue_cancel_fd_locked(int fd, std::uint64_t user_data) noexcept
{
  queue_request_locked((static_cast<std::uint64_t>(fd) << 3) | (user_data & tag_bits));
}

// Puts a request on a descriptor or slot (as deferred_requests_ describes it) in the SQ, or,
// off the owner with the SQ full, leaves it to the owner's next turn. (On the owner a full
// SQ was submitted to make room; a sqe is missing only if the kernel refused.)
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

// Registered files spare the kernel a descriptor lookup and a reference count on the file
// for every request. Only on 6.13 and later: before that, a slot's old file was released
// only once every request issued before the update had completed, on any descriptor, so a
// closed socket could stay open (no FIN) for as long as an idle peer's receive was pending.
// Without the table (older kernel, RLIMIT_NOFILE, ENOMEM) descriptors are used by number.
void uring_backend::init_fixed_files() noexcept
{
  ::utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2 ||
      major * 1000 + minor < 6013)
    return;
  // The kernel refuses a table larger than RLIMIT_NOFILE; a context rarely needs more
  // than a few thousand slots, and the rest keep working by number.
  ::rlimit rl{};
  unsigned slots = 4096;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < slots)
    slots = static_cast<unsigned>(rl.rlim_cur);
  if (slots < 16 || io_uring_register_files_sparse(&ring_, slots) < 0)
    return;
  try
  {
    free_slots_.reserve(slots);
  }
  catch (...)
  {
    io_uring_unregister_files(&ring_);
    return;
  }
  for (unsigned i = slots; i-- > 0;)
    free_slots_.push_back(static_cast<int>(i));
  fixed_files_ = true;
}

// At a descriptor's first async op: one registration syscall, then every SQE for it names
// the slot. Sockets used only synchronously never pay for it.
void uring_backend::fix_descriptor_locked(uring_descriptor* d) noexcept
{
  if (free_slots_.empty())
    return;
  int slot = free_slots_.back();
  int fd = d->fd;
  if (io_uring_register_files_update(&ring_, static_cast<unsigned>(slot), &fd, 1) != 1)
  {
    fixed_files_ = false; // do not retry a syscall that fails on every descriptor
    return;
  }
  free_slots_.pop_back();
  d->fixed = slot;
}

// Before the caller closes the descriptor: the table's reference would keep the file (and
// a socket's connection) open. SQEs naming the slot were all submitted by
// deregister_descriptor, so the slot can go to another descriptor at once.
//
// Off the owner of a single-issuer ring, which alone may register files, an update request
// empties the slot instead, when the owner submits it (it is woken for that). The SQEs the
// owner queued that name the slot are ahead of it in the SQ, so they still find the file.
// The slot is free again only once the update has completed: a registration the owner
// made into it before then would be undone by the update. Until the owner's next turn the
// table keeps the file open, as the descriptor's in-kernel ops do until their cancel is
// submitted.
void uring_backend::unfix_descriptor_locked(uring_descriptor* d) noexcept
{
  if (d->fixed < 0)
    return;
  int slot = d->fixed;
  d->fixed = -1;
  if (!ring_ok_)
    return; // the table went with the ring (a context destroyed off its owner)
  if (!may_enter())
  {
    queue_request_locked((static_cast<std::uint64_t>(slot) << 3) | tag_unfix);
    submit_locked();
    return;
  }
  int none = -1;
  io_uring_register_files_update(&ring_, static_cast<unsigned>(slot), &none, 1);
  free_slots_.push_back(slot);
}

uring_backend::~uring_backend()
{
  if (ring_ok_)
    io_uring_queue_exit(&ring_);
  for (int dup : cancel_dups_)
    ::close(dup); // cancels the owner never submitted
  if (event_fd_ >= 0)
    ::close(event_fd_);
}

descriptor_state* uring_backend::register_descriptor(int fd, boost::system::error_code& ec)
{
  uring_descriptor* d = new_op<uring_descriptor>();
  d->fd = fd;
  if (single_)
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    ring_descriptors_.push_back(*d);
  }
  ec = boost::system::error_code();
  return d;
}

void uring_backend::release_locked(uring_descriptor* d)
{
  if (d->closed && d->inflight == 0)
  {
    if (d->ring_hook.is_linked())
      ring_descriptors_.erase(ring_descriptors_.iterator_to(*d));
    delete_op(d);
  }
}

void uring_backend::deregister_descriptor(descriptor_state* ds) noexcept
{
  uring_descriptor* d = static_cast<uring_descriptor*>(ds);
  cancel_ops(d);
  std::lock_guard<futex_mutex> lock(sq_mutex_);
  // SQEs naming the slot may still sit in the SQ (cancel_ops submits only when ops are in
  // flight): hand them to the kernel before the slot is emptied. (A thread that may not
  // submit queues the update that empties it behind them instead.)
  if (d->fixed >= 0 && can_submit() && io_uring_sq_ready(&ring_) > 0)
    io_uring_submit(&ring_);
  unfix_descriptor_locked(d);
  d->closed = true;
  release_locked(d);
}

io_uring_sqe* uring_backend::get_sqe_locked()
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

void uring_backend::prep_locked(io_uring_sqe* sqe, io_op* o)
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
bool uring_backend::send_now_pays_locked(const uring_descriptor* d, const io_op* o) const noexcept
{
  return (o->kind_ == io_kind::send || o->kind_ == io_kind::send_to) && d->inflight == 0 &&
         !d->send_full && !(o->msg_flags_ & MSG_WAITALL) && io_uring_sq_ready(&ring_) == 0 &&
         !sqpoll() && !foreign_locked() && sched_.starts_alone();
}

bool uring_backend::must_submit_now() const noexcept
{
  // Only the single thread running the scheduler is sure to enter the kernel again soon;
  // with several runners the reaper may be another thread already asleep in the kernel.
  // (A runner that joins between this check and its next turn is covered by flush():
  // every thread flushes before it goes idle.)
  return !sched_.running_in_this_thread() || !sched_.one_runner();
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

void uring_backend::issue_locked(io_op* o)
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
bool uring_backend::take_lane_locked(uring_descriptor* d, io_op* o) noexcept
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

// The next op of the lane o held, issued now that o has ended. The caller submits as it
// would for a new op (the reaper's next enter carries it).
void uring_backend::issue_next_in_lane_locked(uring_descriptor* d, int lane)
{
  io_op* next = static_cast<io_op*>(d->lane_waiting[lane].pop());
  lane_left_locked(d, lane);
  unlist_lane_deadline_locked(next); // issued, it gets its LINK_TIMEOUT (queue_locked)
  d->lane_holder[lane] = next;
  if (shutting_down_)
    backlog_.push(next); // reclaimed with the rest of the backlog, never issued
  else
    issue_locked(next);
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

// Backlogged and starved ops are not in the kernel: the ops of d (only `only`, if given)
// among them are aborted here, into `aborted`. Returns whether any was.
bool uring_backend::abort_parked_locked(uring_descriptor* d, io_op* only, op_queue& aborted) noexcept
{
  bool any = false;
  // Waiting in d's lanes: never issued. First, so that aborting a lane's holder below
  // issues none of them.
  for (unsigned lane = 0; lane < 2; ++lane)
  {
    if (!(d->lanes_waiting & (1u << lane)))
      continue;
    op_queue& waiting = d->lane_waiting[lane];
    op_queue keep;
    while (!waiting.empty())
    {
      io_op* o = static_cast<io_op*>(waiting.pop());
      if (only && o != only)
      {
        keep.push(o);
        continue;
      }
      unlist_lane_deadline_locked(o);
      abort_unissued_locked(d, o, aborted);
      any = true;
    }
    waiting.swap(keep);
    lane_left_locked(d, static_cast<int>(lane));
  }
  if (only && any)
    return true;
  // An op issued from a lane while the backlog is walked (its holder aborted) is appended
  // to it and kept: it is not one of the ops to abort.
  for (op_queue* parked : {&backlog_, &starved_})
  {
    op_queue keep;
    while (!parked->empty())
    {
      io_op* o = static_cast<io_op*>(parked->pop());
      if (only ? o != only : o->desc_ != d)
      {
        keep.push(o);
        continue;
      }
      if (parked == &starved_)
        o->pool_->starving(-1);
      leave_lane_locked(d, o);
      forget_locked(o);
      abort_unissued_locked(d, o, aborted);
      any = true;
    }
    parked->swap(keep);
  }
  return any;
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
  if (wakeup_pending_.exchange(true, std::memory_order_acq_rel))
    return;
  std::uint64_t one = 1;
  // The eventfd counter persists, so a write that precedes the reaper's wait still wakes it.
  ssize_t r;
  do
    r = ::write(event_fd_, &one, sizeof(one));
  while (r < 0 && errno == EINTR);
}

// Publishes filled SQEs to the kernel's tail and returns how many the kernel has not yet
// consumed. Equivalent to what io_uring_submit does before entering, split out so the
// blocking enter can happen with sq_mutex_ released.
unsigned uring_backend::flush_locked()
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

int uring_backend::enter(unsigned to_submit, unsigned min_complete, unsigned flags,
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
        leave_lane_locked(d, o);
        abort_unissued_locked(d, o, ready);
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

void uring_backend::complete_cqe_locked(io_uring_cqe* cqe, op_queue& ready, op_queue& retry,
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
    res = -ECANCELED; // the pool was closed under the receive
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
  leave_lane_locked(d, o);
  --d->inflight;
  release_locked(d);
  add_inflight_locked(-1);
  // Out of the backend for good: a cancel emitted from now until the handler runs (which
  // disconnects the slot) must not reach d, which release_locked may just have freed (a
  // handler that closes the socket and then emits, the usual timeout pattern).
  o->desc_ = nullptr;
  ready.push(o);
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
// a buffer comes back. False when the pool is closed (the receive must end).
bool uring_backend::retry_without_buffer_locked(io_op* o, op_queue& retry)
{
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

std::unique_ptr<buffer_ring> uring_backend::make_buffer_ring(unsigned entries,
                                                             boost::system::error_code& ec)
{
  unsigned group;
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    if (next_group_ > 0xffff)
    {
      ec = error::no_buffer_space;
      return nullptr;
    }
    group = next_group_++;
  }
  return make_uring_buffer_ring(ring_, entries, group, ec);
}

void uring_backend::shutdown() noexcept
{
  // Cancel everything and wait for each op's final CQE: until then the kernel may still
  // write into the op (msghdr, peer address) or the caller's buffers. Bounded: cancelled
  // requests complete promptly, and a request that cannot be cancelled (a regular-file
  // read in io-wq) finishes by itself.
  //
  // A single-issuer ring destroyed off its owner cannot cancel: if the owner thread has
  // exited, the kernel cancelled its requests then and their CQEs are waiting; if it lives
  // on without running the context, requests it left pending are abandoned to the ring's
  // own teardown (their memory is not freed here, since the kernel may still use it).
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    shutting_down_ = true;
    if (single_)
      enable_locked(); // a context that never ran: its destroyer may as well own it
    if (may_enter() && inflight_.load(std::memory_order_relaxed) > 0)
    {
      io_uring_sqe* sqe = get_sqe_locked();
      if (sqe)
      {
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(sqe, tag_ignore);
      }
    }
    if (may_enter())
      io_uring_submit(&ring_);
  }
  op_queue doomed;
  if (!may_enter())
  {
    // Off the owner nothing can be cancelled or waited for. Take what completed, then
    // close the ring, which makes the kernel cancel the rest, and reclaim those ops (a
    // cancelled request writes nothing back).
    op_queue ready;
    run(ready, 0);
    doomed.push(ready);
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    backlog_.push(starved_);
    if (ring_ok_)
    {
      io_uring_queue_exit(&ring_);
      ring_ok_ = false;
    }
    // A parked op (backlogged or starved) is out of the kernel but still listed if it went
    // back to the kernel before: unlisted first, it is collected once. (Queued twice, it
    // would cut the backlog short and leak the ops behind it.)
    op_queue parked;
    parked.swap(backlog_);
    while (!parked.empty())
    {
      io_op* o = static_cast<io_op*>(parked.pop());
      forget_locked(o);
      backlog_.push(o);
    }
    for (uring_descriptor& d : ring_descriptors_)
    {
      while (!d.in_kernel.empty())
      {
        io_op* o = &d.in_kernel.front();
        d.in_kernel.pop_front();
        backlog_.push(o);
      }
      for (unsigned lane = 0; lane < 2; ++lane)
      {
        while (!d.lane_waiting[lane].empty())
        {
          io_op* o = static_cast<io_op*>(d.lane_waiting[lane].pop());
          unlist_lane_deadline_locked(o);
          backlog_.push(o);
        }
        d.lane_holder[lane] = nullptr;
      }
      d.lanes_waiting = 0;
    }
    while (!backlog_.empty())
    {
      io_op* o = static_cast<io_op*>(backlog_.pop());
      uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
      --d->inflight;
      release_locked(d);
      add_inflight_locked(-1);
      doomed.push(o);
    }
  }
  // Up to ~2 s. A cancelled request owned by a thread that has exited completes through the
  // kernel's fallback work a few milliseconds later, so the loop must really wait rather
  // than spin on its own cancel results; the cancel is repeated now and then for requests
  // re-issued after an -EAGAIN.
  for (int rounds = 0; ring_ok_ && rounds < 200 && inflight_.load(std::memory_order_relaxed) > 0;
       ++rounds)
  {
    op_queue ready;
    run(ready, 10000000); // 10 ms per round at most
    doomed.push(ready);
    if (!may_enter())
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // run() could not wait
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    // Backlogged and starved ops are not in the kernel.
    backlog_.push(starved_);
    while (!backlog_.empty())
    {
      io_op* o = static_cast<io_op*>(backlog_.pop());
      forget_locked(o);
      uring_descriptor* d = static_cast<uring_descriptor*>(o->desc_);
      leave_lane_locked(d, o); // the next of its lane joins the backlog, for this loop
      --d->inflight;
      release_locked(d);
      add_inflight_locked(-1);
      doomed.push(o);
    }
    if (rounds % 20 == 19 && inflight_.load(std::memory_order_relaxed) > 0 && may_enter())
    {
      io_uring_sqe* sqe = get_sqe_locked();
      if (sqe)
      {
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(sqe, tag_ignore);
      }
      io_uring_submit(&ring_);
    }
  }
  doomed.destroy_all();
}

} // namespace

std::unique_ptr<backend> make_uring_backend(scheduler& s, const scheduler_options& opts,
                                            boost::system::error_code& ec)
{
  std::unique_ptr<uring_backend> b(new uring_backend(s));
  if (!b->init(opts, ec))
    return nullptr;
  return std::unique_ptr<backend>(std::move(b));
}

} // namespace detail
} // namespace blitz
