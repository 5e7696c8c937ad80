// The ring's life: setup (features probed, flags chosen, the single-issuer ring enabled by
// its first runner), registered files and descriptors, buffer rings, and teardown, which
// waits for every op's final CQE before the memory the kernel may write is freed.

#include "uring_backend.hpp"

#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace uring {

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
  {
    std::lock_guard<futex_mutex> lock(sq_mutex_);
    ring_descriptors_.push_back(*d);
  }
  ec = boost::system::error_code();
  return d;
}

void uring_backend::free_descriptor_locked(uring_descriptor* d) noexcept
{
  if (d->ring_hook.is_linked())
    ring_descriptors_.erase(ring_descriptors_.iterator_to(*d));
  delete_op(d);
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
      // The next of its lane joins the backlog, for this loop.
      leave_lane_locked(d, o, o->backend_lane_, doomed);
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

// A forked child would share this ring with its parent: the same SQ and CQ, mapped in
// both, with the parent's operations completing into the child's view of it. Following a
// fork takes what Asio's io_uring service does: cancel everything in flight before it,
// wait for all of it, then issue it again on the parent's ring and on a new ring in the
// child (registered files, buffer rings and linked deadlines included). Not done yet: a
// clear error at the first notification, before the fork, rather than a child that
// corrupts its parent's ring. A program that forks uses the epoll backend
// (io_context::options{backend_kind::epoll}, or BLITZ_IO_BACKEND=epoll).
void uring_backend::notify_fork(fork_phase)
{
  throw boost::system::system_error(
      boost::system::error_code(boost::system::errc::operation_not_supported,
                                boost::system::generic_category()),
      "notify_fork: the io_uring backend cannot follow a fork; use the epoll backend");
}

} // namespace uring

std::unique_ptr<backend> make_uring_backend(scheduler& s, const scheduler_options& opts,
                                            boost::system::error_code& ec)
{
  std::unique_ptr<uring::uring_backend> b(new uring::uring_backend(s));
  if (!b->init(opts, ec))
    return nullptr;
  return std::unique_ptr<backend>(std::move(b));
}

} // namespace detail
} // namespace blitz
