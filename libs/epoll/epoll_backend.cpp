// The epoll backend: completions emulated from readiness.
//
// Registration is once per descriptor, edge-triggered, for every condition
// (EPOLLIN|EPOLLOUT|EPOLLPRI|EPOLLRDHUP|EPOLLET): no epoll_ctl per operation. An operation
// first tries its syscall speculatively; on EAGAIN it parks on its descriptor's queue for
// that direction, and the reaper performs parked ops when an event says the direction is
// ready. readiness.hpp explains how a stale event can never clear newer readiness.
//
// Lifetime: data.ptr is the epoll_descriptor. Deregistration deletes the epoll item before
// the caller closes the fd (so a dup'd description or a reused fd number delivers nothing
// to the old state), and the state itself is freed only at the start of a later run(), when
// no event batch that might still name it is being processed.
#include <blitz/detail/backend.hpp>
#include <blitz/detail/buffer_pool_impl.hpp>
#include <blitz/detail/eventfd_wakeup.hpp>
#include <blitz/detail/futex_mutex.hpp>
#include <blitz/detail/multishot_op.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/slab_pool.hpp>

#include "event_wait.hpp"
#include "readiness.hpp"

#include <boost/intrusive/list.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <vector>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace blitz {
namespace detail {
namespace {

struct epoll_descriptor
  : descriptor_state,
    boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>>
{
  // Guards the queues. Held while parked ops are performed, so an op never runs twice
  // and per-direction FIFO order holds. Lock order: a descriptor's mutex, then
  // epoll_backend::mutex_ (only in deregister), never the scheduler's. A futex_mutex: it is
  // taken for every op and every readiness event, and it is 4 bytes per descriptor, not 40.
  futex_mutex mutex;
  op_queue queues[3]; // indexed by io_direction
  readiness ready;
  bool closed = false; // mutex
  bool starved = false; // in epoll_backend::starved_; epoll_backend::mutex_
  // epoll refused it (see register_descriptor); set before the state is shared.
  bool unpollable = false;
};

// The op no longer waits for a pool buffer (it is retried, or it ends).
void unstarve(io_op* o) noexcept
{
  if (o->starved_)
  {
    o->starved_ = false;
    o->pool_->starving(-1);
  }
}

// Hands finished ops to the scheduler's form: a multishot op's final result goes through
// its drain. Called after disarm_deadlines, which needs the io_ops themselves.
void finalize(op_queue& done) noexcept
{
  op_queue out;
  while (!done.empty())
  {
    io_op* o = static_cast<io_op*>(done.pop());
    unstarve(o);
    finish_op(o, out);
  }
  done.swap(out);
}

// A multishot op performed once and may stay armed: an error (eof included) ends it.
bool delivered_more(io_op* o, op_queue& ready) noexcept
{
  if (!o->multishot_ || o->ec_)
    return false;
  static_cast<multishot_op*>(o)->deliver(o->result_code(), o->buffer_id_, false, ready);
  o->buffer_id_ = -1;
  return true;
}

std::uint32_t direction_bits(io_direction d)
{
  switch (d)
  {
  case io_direction::read:
    return readiness::readable | readiness::read_closed | readiness::error;
  case io_direction::write:
    return readiness::writable | readiness::write_closed | readiness::error;
  default:
    // A hang-up ends the wait too, as POLLHUP does for io_uring's poll and EPOLLHUP for
    // Asio's except_op: no urgent data can follow it.
    return readiness::priority | readiness::write_closed | readiness::error;
  }
}

std::uint32_t clear_bits(io_direction d)
{
  switch (d)
  {
  case io_direction::read:
    return readiness::readable;
  case io_direction::write:
    return readiness::writable;
  default:
    return readiness::priority;
  }
}

// After a short stream transfer (io_op::drained), forgets the direction's readiness as an
// EAGAIN would, so the next op on it waits for an event instead of trying a syscall that
// would fail: the edge-triggered registration reports any data or room that comes after the
// transfer. Unless an event arrived since `seen` (the clear then fails and the readiness
// stands), or urgent data is pending: a TCP read stops short at the urgent mark with more
// data behind it, and no new event would come for that data.
void forget_if_drained(epoll_descriptor* d, const io_op* o, io_direction dir,
                       std::uint32_t seen) noexcept
{
  if (!o->drained())
    return;
  if (dir == io_direction::read && (seen & readiness::priority))
    return;
  d->ready.clear(clear_bits(dir), seen);
}

// Every descriptor's one registration: all conditions, edge-triggered.
constexpr std::uint32_t registered_events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET;

class epoll_backend final : public backend
{
public:
  explicit epoll_backend(scheduler& s) : sched_(s) {}
  bool init(boost::system::error_code& ec);
  ~epoll_backend() override;

  const char* name() const noexcept override { return "epoll"; }
  descriptor_state* register_descriptor(int fd, boost::system::error_code& ec) override;
  void deregister_descriptor(descriptor_state* d) noexcept override;
  void start_op(descriptor_state* d, io_op* o) override;
  void cancel_ops(descriptor_state* d) noexcept override;
  void cancel_op(descriptor_state* d, io_op* o) noexcept override;
  std::size_t cancel_all() override;
  std::size_t run(op_queue& ready, std::int64_t timeout_ns) override;
  void interrupt() noexcept override;
  bool has_pending() const noexcept override
  {
    // Relaxed: a hint for whether to poll between handler batches.
    return parked_.load(std::memory_order_relaxed) > 0;
  }
  std::size_t pending_ops() const noexcept override
  {
    // Relaxed: a statistic.
    long n = parked_.load(std::memory_order_relaxed);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  void shutdown() noexcept override;
  void notify_fork(fork_phase phase) override;
  bool always_ready(const descriptor_state* d) const noexcept override
  {
    return static_cast<const epoll_descriptor*>(d)->unpollable;
  }
  void next_after_starved() noexcept;
  void buffers_returned() noexcept override;

private:
  void perform_parked(epoll_descriptor* d, op_queue& done, op_queue& ready);
  void note_starved(epoll_descriptor* d, io_op* o);
  void perform_starved(op_queue& done, op_queue& ready);
  void free_dead();
  std::size_t cancel_parked(epoll_descriptor* d) noexcept;
  void disarm_deadlines(op_queue& done) noexcept;
  void expire_deadlines(op_queue& ready) noexcept;

  scheduler& sched_;
  int epfd_ = -1;
  int event_fd_ = -1;
  event_wait wait_;
  // Coalesces interrupts between two reaps (wake_reaper explains the ordering).
  std::atomic<bool> wakeup_pending_{false};
  std::atomic<long> parked_{0};

  using desc_list = boost::intrusive::list<epoll_descriptor,
      boost::intrusive::constant_time_size<false>>;
  std::mutex mutex_; // guards live_, dead_, sweeps_ and starved_
  desc_list live_;
  desc_list dead_;
  int sweeps_ = 0; // cancel_all calls walking a copy of live_
  // A run() is between its free_dead() and its end, where an event batch may still name a
  // descriptor deregistered meanwhile: such a descriptor waits in dead_ for the next run().
  // Otherwise deregistration frees it at once: a context that is never run (sync calls
  // only) would keep every descriptor it ever closed. Raised under mutex_ (free_dead),
  // lowered with a release store when the batch is done; read under mutex_ with acquire,
  // so that the reaper's last look at a descriptor comes before its free.
  std::atomic<bool> reaping_{false};
  // Descriptors whose front receive found its buffer pool empty at the limit. They are
  // performed again by the reaper once buffers_returned() sets starve_wake_. An entry
  // cannot dangle during its run: deregistration takes it out of this list, and frees no
  // descriptor while a run() is in progress (reaping_).
  std::vector<epoll_descriptor*> starved_;
  // Set by returners before they interrupt, taken by the reaper after it clears
  // wakeup_pending_. seq_cst on all four accesses (this flag's store and exchange, and
  // wakeup_pending_'s exchange and the reaper's store): each side writes one flag, then
  // reads the other, and only a single total order rules out both missing each other: a
  // returner that finds wakeup_pending_ still set (and skips the write) while the reaper,
  // having just cleared it, finds this flag still clear, would leave the receive starved.
  // The flag also carries the returned buffer to the reaper that sees it set.
  std::atomic<bool> starve_wake_{false};

  // Deadlines of parked ops (cancel_after). Lock order: deadline_mutex_ before a
  // descriptor's mutex (expiry aborts the parked op); paths that finish parked ops under a
  // descriptor's mutex disarm their deadlines only after releasing it.
  std::mutex deadline_mutex_;
  timer_wheel deadlines_{scheduler::now_ns()};
  // Relaxed: only saves taking deadline_mutex_ when no op has a deadline.
  std::atomic<long> armed_deadlines_{0};
};

// A new epoll set with the wakeup eventfd registered in it (a null data.ptr names it): what
// a context starts with, and what a forked child gets (notify_fork). On failure neither is
// left open, and ec says why.
bool open_epoll_set(int& epfd, int& efd, boost::system::error_code& ec) noexcept
{
  epfd = ::epoll_create1(EPOLL_CLOEXEC);
  efd = epfd < 0 ? -1 : ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ::epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;
  if (efd >= 0 && ::epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) == 0)
    return true;
  ec.assign(errno, boost::system::system_category());
  if (efd >= 0)
    ::close(efd);
  if (epfd >= 0)
    ::close(epfd);
  epfd = efd = -1;
  return false;
}

bool epoll_backend::init(boost::system::error_code& ec)
{
  if (!open_epoll_set(epfd_, event_fd_, ec))
    return false;
  wait_.attach(epfd_); // its probe finds the new eventfd idle: no event is consumed
  return true;
}

epoll_backend::~epoll_backend()
{
  free_dead();
  // States of sockets that outlive their io_context (undefined behaviour, as in Asio):
  // at least their memory goes back.
  while (!live_.empty())
  {
    epoll_descriptor* d = &live_.front();
    live_.pop_front();
    delete_op(d);
  }
  if (event_fd_ >= 0)
    ::close(event_fd_);
  if (epfd_ >= 0)
    ::close(epfd_);
}

descriptor_state* epoll_backend::register_descriptor(int fd, boost::system::error_code& ec)
{
  epoll_descriptor* d = new_op<epoll_descriptor>();
  d->fd = fd;
  ::epoll_event ev{};
  ev.events = registered_events;
  ev.data.ptr = d;
  if (wait_.control(EPOLL_CTL_ADD, fd, &ev) < 0)
  {
    if (errno != EPERM)
    {
      ec.assign(errno, boost::system::system_category());
      delete_op(d);
      return nullptr;
    }
    // EPERM: a regular file, /dev/null, a directory: nothing epoll can wait for, and
    // nothing that would block. Accepted as Asio and the io_uring backend accept it: always
    // ready, so every op is tried at once, and one that cannot finish then fails rather
    // than waiting for an event that will never come (start_op).
    d->unpollable = true;
    d->ready.set(readiness::readable | readiness::writable);
  }
  ec = boost::system::error_code();
  std::lock_guard<std::mutex> lock(mutex_);
  live_.push_back(*d);
  return d;
}

void epoll_backend::deregister_descriptor(descriptor_state* ds) noexcept
{
  epoll_descriptor* d = static_cast<epoll_descriptor*>(ds);
  op_queue aborted;
  {
    std::lock_guard<futex_mutex> lock(d->mutex);
    d->closed = true;
    d->ready.shutdown();
    for (op_queue& q : d->queues)
      while (!q.empty())
      {
        io_op* o = static_cast<io_op*>(q.pop());
        o->set_result(-ECANCELED);
        parked_.fetch_sub(1, std::memory_order_relaxed);
        aborted.push(o);
      }
  }
  disarm_deadlines(aborted);
  finalize(aborted);
  // Before the caller's close(): if the open file description outlives this fd (dup,
  // fork, SCM_RIGHTS) its epoll item would otherwise keep reporting into freed state.
  if (!d->unpollable)
    wait_.control(EPOLL_CTL_DEL, d->fd, nullptr);
  bool free_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live_.erase(live_.iterator_to(*d));
    if (d->starved)
    {
      for (auto& x : starved_)
        if (x == d)
          x = starved_.back();
      starved_.pop_back();
      d->starved = false;
    }
    free_now = sweeps_ == 0 && !reaping_.load(std::memory_order_acquire);
    if (!free_now)
      dead_.push_back(*d);
  }
  if (free_now)
    delete_op(d);
  sched_.post_completions(aborted);
}

void epoll_backend::free_dead()
{
  desc_list doomed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Relaxed: set under mutex_, where deregistration reads it (see reaping_).
    reaping_.store(true, std::memory_order_relaxed);
    if (sweeps_ > 0)
      return; // cancel_all may hold some of them: the next run() frees them
    doomed.swap(dead_);
  }
  while (!doomed.empty())
  {
    epoll_descriptor* d = &doomed.front();
    doomed.pop_front();
    delete_op(d);
  }
}

void epoll_backend::start_op(descriptor_state* ds, io_op* o)
{
  epoll_descriptor* d = static_cast<epoll_descriptor*>(ds);
  sched_.count_op(static_cast<unsigned>(o->kind_));
  o->desc_ = d;
  o->backend_ = this;
  io_direction dir = o->direction();
  op_queue& q = d->queues[static_cast<int>(dir)];
  // An op with a deadline takes deadline_mutex_ first (the lock order expiry uses), so that
  // it is armed before any other thread can perform and free it.
  std::unique_lock<std::mutex> dl(deadline_mutex_, std::defer_lock);
  if (o->deadline_ns_ >= 0)
    dl.lock();
  std::unique_lock<futex_mutex> lock(d->mutex);
  op_queue out; // results of a multishot op, and the op itself if it finished at once
  if (d->closed)
  {
    lock.unlock();
    if (dl.owns_lock())
      dl.unlock();
    o->set_result(-EBADF);
    finish_op(o, out);
    sched_.post_completions(out);
    return;
  }
  bool starved = false;
  if (q.empty())
  {
    for (;;)
    {
      std::uint32_t seen = d->ready.load();
      // Known not ready (an earlier EAGAIN and no event since): the syscall would fail.
      // An out-of-band receive always tries first, as Asio's speculative except_op does:
      // urgent data that came before the descriptor's last event, or none at all (EINVAL),
      // is only learnt from the syscall. A connect never tries first, as in Asio: it waits
      // for an event, so a cancel() or close() that follows async_connect ends it with
      // operation_aborted even on loopback, where the handshake is over before connect(2)
      // returns (see the re-arm below).
      bool oob = dir == io_direction::error && o->kind_ != io_kind::wait_error;
      if ((!(seen & direction_bits(dir)) && !oob) || o->kind_ == io_kind::connect)
        break;
      if (o->perform())
      {
        if (delivered_more(o, out))
          continue;
        forget_if_drained(d, o, dir, seen);
        lock.unlock();
        if (dl.owns_lock())
          dl.unlock();
        // Completed at once, but the handler still runs from the scheduler, never from
        // inside the initiating function.
        finish_op(o, out);
        sched_.post_completions(out);
        return;
      }
      if (o->starved_)
      {
        starved = true; // readiness stays: the data is there, a buffer is not
        break;
      }
      if (d->unpollable)
        break; // stays ready: the next op tries again (no event would say when)
      if (d->ready.clear(clear_bits(dir), seen))
        break;
      // An event arrived during the syscall: its readiness is real, try again.
    }
  }
  if (d->unpollable && !starved)
  {
    // No event will ever come for it: what cannot finish now fails, as in Asio.
    lock.unlock();
    if (dl.owns_lock())
      dl.unlock();
    o->set_result(-EOPNOTSUPP);
    finish_op(o, out);
    sched_.post_completions(out);
    return;
  }
  parked_.fetch_add(1, std::memory_order_relaxed);
  q.push(o);
  if (starved)
    note_starved(d, o);
  bool wake_reaper = false;
  if (dl.owns_lock())
  {
    // A reaper already asleep in epoll_wait computed its timeout without this deadline:
    // when it is now the earliest, the reaper must wake to wait again for less. Not needed
    // when this thread is the context's only runner (then no one else is in the wait, and
    // this thread computes its next timeout with the deadline in the wheel).
    std::int64_t now = scheduler::now_ns();
    std::int64_t earliest = deadlines_.next_expiry_ns(now);
    wake_reaper = (earliest < 0 || o->deadline_ns_ - now < earliest) &&
                  !(sched_.one_runner() && sched_.running_in_this_thread());
    o->deadline_entry_.op = o;
    o->deadline_entry_.deadline_ns = o->deadline_ns_;
    deadlines_.insert(o->deadline_entry_);
    armed_deadlines_.fetch_add(1, std::memory_order_relaxed);
  }
  if (o->kind_ == io_kind::connect)
  {
    // The handshake may be over already and its edge spent before the op was parked.
    // Re-arming the registration makes epoll look again and report the socket writable if
    // it is, so the reaper performs the op. Under d->mutex: the descriptor is not closed
    // (deregistration marks it closed under this mutex before removing the registration),
    // and the reaper cannot take the op before this returns.
    ::epoll_event ev{};
    ev.events = registered_events;
    ev.data.ptr = d;
    wait_.control(EPOLL_CTL_MOD, d->fd, &ev);
  }
  lock.unlock();
  if (dl.owns_lock())
  {
    dl.unlock();
    if (wake_reaper)
      interrupt(); // after the unlock: the woken reaper reads the wheel under deadline_mutex_
  }
  sched_.post_completions(out);
}

// Under d->mutex (lock order: a descriptor's mutex, then mutex_).
void epoll_backend::note_starved(epoll_descriptor* d, io_op* o)
{
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!d->starved)
    {
      d->starved = true;
      starved_.push_back(d);
    }
  }
  // Raised before the last look at the pool (see buffer_pool_impl::give_back): a buffer
  // returned in between is seen here, or its returner sees the raise and wakes us.
  o->pool_->starving(1);
  if (o->pool_->available() > 0)
    buffers_returned();
}

void epoll_backend::buffers_returned() noexcept
{
  starve_wake_.store(true, std::memory_order_seq_cst); // see starve_wake_
  interrupt();
}

// Reaper: retries the receives that were starved for a buffer.
void epoll_backend::perform_starved(op_queue& done, op_queue& ready)
{
  if (!starve_wake_.exchange(false, std::memory_order_seq_cst)) // see starve_wake_
    return;
  std::vector<epoll_descriptor*> list;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    list.swap(starved_);
    for (epoll_descriptor* d : list)
      d->starved = false;
  }
  for (epoll_descriptor* d : list)
  {
    {
      std::lock_guard<futex_mutex> lock(d->mutex);
      op_queue& q = d->queues[static_cast<int>(io_direction::read)];
      if (!q.empty())
        unstarve(static_cast<io_op*>(q.front()));
    }
    perform_parked(d, done, ready);
  }
}

void epoll_backend::cancel_ops(descriptor_state* ds) noexcept
{
  cancel_parked(static_cast<epoll_descriptor*>(ds));
}

std::size_t epoll_backend::cancel_parked(epoll_descriptor* d) noexcept
{
  op_queue aborted;
  std::size_t n = 0;
  {
    std::lock_guard<futex_mutex> lock(d->mutex);
    for (op_queue& q : d->queues)
      while (!q.empty())
      {
        io_op* o = static_cast<io_op*>(q.pop());
        o->set_result(-ECANCELED);
        parked_.fetch_sub(1, std::memory_order_relaxed);
        aborted.push(o);
        ++n;
      }
  }
  disarm_deadlines(aborted);
  finalize(aborted);
  sched_.post_completions(aborted);
  return n;
}

// io_context::shutdown: cancel_ops for every live descriptor. Their list is copied under
// mutex_ and walked without it, since a descriptor's mutex is taken before mutex_
// (note_starved), never after. Meanwhile sweeps_ keeps the reaper from freeing
// descriptors deregistered since the copy (free_dead): those have empty queues (their
// deregistration aborted them), so cancelling them again does nothing.
std::size_t epoll_backend::cancel_all()
{
  std::vector<epoll_descriptor*> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (epoll_descriptor& d : live_)
      all.push_back(&d);
    ++sweeps_;
  }
  std::size_t n = 0;
  for (epoll_descriptor* d : all)
    n += cancel_parked(d);
  std::lock_guard<std::mutex> lock(mutex_);
  --sweeps_;
  return n;
}

void epoll_backend::cancel_op(descriptor_state* ds, io_op* target) noexcept
{
  epoll_descriptor* d = static_cast<epoll_descriptor*>(ds);
  bool found = false;
  bool starved = false;
  {
    std::lock_guard<futex_mutex> lock(d->mutex);
    // Only a parked op can be cancelled; one already performed is queued to run with its
    // real result.
    op_queue& q = d->queues[static_cast<int>(target->direction())];
    op_queue keep;
    while (!q.empty())
    {
      op* o = q.pop();
      if (o == target)
        found = true;
      else
        keep.push(o);
    }
    q.swap(keep);
    starved = found && target->starved_;
  }
  if (found)
  {
    parked_.fetch_sub(1, std::memory_order_relaxed);
    target->set_result(-ECANCELED);
    op_queue one;
    one.push(target);
    disarm_deadlines(one);
    finalize(one);
    sched_.post_completions(one);
    if (starved)
      next_after_starved();
  }
}

// A starved receive left the head of its queue (cancelled, or its deadline passed): the
// op behind it met readiness that no event will report again (the data that starved it is
// still there). The reaper's pass over the starved descriptors, which this one is still
// listed among, performs it.
void epoll_backend::next_after_starved() noexcept
{
  buffers_returned();
}

// Ops in done are finished (performed or aborted) and about to be handed to the scheduler:
// their deadlines must go first, or expiry could still reach them after they are freed.
void epoll_backend::disarm_deadlines(op_queue& done) noexcept
{
  // Acquire: zero seen after expiry's decrement means expiry is done with the op (see
  // expire_deadlines).
  if (armed_deadlines_.load(std::memory_order_acquire) == 0)
    return;
  op_queue keep;
  std::lock_guard<std::mutex> dl(deadline_mutex_);
  while (!done.empty())
  {
    io_op* o = static_cast<io_op*>(done.pop());
    if (o->deadline_ns_ >= 0 && o->deadline_entry_.linked())
    {
      deadlines_.remove(o->deadline_entry_);
      armed_deadlines_.fetch_sub(1, std::memory_order_relaxed);
    }
    keep.push(o);
  }
  done.swap(keep);
}

// Reaper: aborts parked ops whose deadline passed (cancel_after on epoll).
void epoll_backend::expire_deadlines(op_queue& ready) noexcept
{
  if (armed_deadlines_.load(std::memory_order_relaxed) == 0)
    return;
  std::lock_guard<std::mutex> dl(deadline_mutex_);
  wheel_entry_list expired;
  deadlines_.expire(scheduler::now_ns(), expired);
  while (!expired.empty())
  {
    io_op* o = static_cast<op_deadline&>(expired.front()).op;
    expired.pop_front();
    epoll_descriptor* d = static_cast<epoll_descriptor*>(o->desc_);
    // The count goes down only once this is done with o (see the end of the loop): a thread
    // finishing o meanwhile (a close, a cancel) then still finds it non-zero, and waits for
    // deadline_mutex_ before it touches o (disarm_deadlines), so o->desc_ and d hold here.
    struct uncount
    {
      std::atomic<long>& armed;
      // Release: pairs with disarm_deadlines' acquire; what this pass did to o comes first.
      ~uncount() { armed.fetch_sub(1, std::memory_order_release); }
    } done_with_o{armed_deadlines_};
    std::lock_guard<futex_mutex> lock(d->mutex);
    // Still parked (an op that was performed had its deadline disarmed before it could be
    // handed out, under deadline_mutex_, so it cannot be here).
    op_queue& q = d->queues[static_cast<int>(o->direction())];
    op_queue keep;
    bool found = false;
    while (!q.empty())
    {
      op* x = q.pop();
      if (x == o)
        found = true;
      else
        keep.push(x);
    }
    q.swap(keep);
    if (found)
    {
      parked_.fetch_sub(1, std::memory_order_relaxed);
      o->set_result(-ECANCELED);
      bool starved = o->starved_;
      unstarve(o);
      finish_op(o, ready); // its deadline entry is already out of the wheel
      if (starved)
        next_after_starved();
    }
  }
}

// Reaper, with an event for d just merged into d->ready.
// done: ops that finished (their deadlines still armed); ready: a multishot op's results.
void epoll_backend::perform_parked(epoll_descriptor* d, op_queue& done, op_queue& ready)
{
  std::lock_guard<futex_mutex> lock(d->mutex);
  if (d->closed)
    return;
  for (int i = 0; i < 3; ++i)
  {
    io_direction dir = static_cast<io_direction>(i);
    op_queue& q = d->queues[i];
    while (!q.empty())
    {
      std::uint32_t seen = d->ready.load();
      if (!(seen & direction_bits(dir)))
        break;
      io_op* o = static_cast<io_op*>(q.front());
      if (o->starved_)
        break; // waits for a buffer; perform_starved picks it up
      if (!o->perform())
      {
        if (o->starved_)
        {
          note_starved(d, o);
          break;
        }
        if (d->ready.clear(clear_bits(dir), seen))
          break;
        continue;
      }
      if (delivered_more(o, ready))
        continue; // a multishot op stays first in line
      forget_if_drained(d, o, dir, seen);
      q.pop();
      parked_.fetch_sub(1, std::memory_order_relaxed);
      done.push(o);
    }
  }
}

std::size_t epoll_backend::run(op_queue& ready, std::int64_t timeout_ns)
{
  free_dead();

  if (armed_deadlines_.load(std::memory_order_relaxed) > 0)
  {
    std::lock_guard<std::mutex> dl(deadline_mutex_);
    std::int64_t t = deadlines_.next_expiry_ns(scheduler::now_ns());
    if (t >= 0 && (timeout_ns < 0 || t < timeout_ns))
      timeout_ns = t;
  }
  ::epoll_event events[128];
  int n = wait_(events, 128, timeout_ns);
  op_queue done;
  for (int i = 0; i < n; ++i) // n < 0 (EINTR): nothing to do, the scheduler comes back
  {
    epoll_descriptor* d = static_cast<epoll_descriptor*>(events[i].data.ptr);
    if (!d)
    {
      // One read: an eventfd without EFD_SEMAPHORE hands over and zeroes the whole counter,
      // so a second read could only fail with EAGAIN (a syscall per wakeup for nothing). A
      // write that lands after this read makes the counter non-zero again, which is a new
      // edge and a new event.
      std::uint64_t v;
      ssize_t r;
      do
        r = ::read(event_fd_, &v, sizeof(v));
      while (r < 0 && errno == EINTR);
      // Pairs with interrupt()'s exchange: the next interrupter writes. seq_cst rather than
      // release for the buffer returners' flag, read after this (see starve_wake_).
      wakeup_pending_.store(false, std::memory_order_seq_cst);
      continue;
    }
    std::uint32_t e = events[i].events;
    std::uint32_t bits = 0;
    if (e & EPOLLIN)
      bits |= readiness::readable;
    if (e & EPOLLOUT)
      bits |= readiness::writable;
    if (e & EPOLLPRI)
      bits |= readiness::priority;
    // EPOLLRDHUP is a half-close: the peer will send no more, but writing may still work.
    if (e & EPOLLRDHUP)
      bits |= readiness::read_closed;
    // EPOLLHUP: both directions are finished.
    if (e & EPOLLHUP)
      bits |= readiness::read_closed | readiness::write_closed;
    if (e & EPOLLERR)
      bits |= readiness::error;
    d->ready.set(bits);
    perform_parked(d, done, ready);
  }
  perform_starved(done, ready);
  disarm_deadlines(done);
  finalize(done);
  ready.push(done);
  expire_deadlines(ready);
  reaping_.store(false, std::memory_order_release); // see reaping_
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void epoll_backend::interrupt() noexcept
{
  wake_reaper(wakeup_pending_, event_fd_);
}

void epoll_backend::shutdown() noexcept
{
  op_queue doomed;
  // Without mutex_, which comes after a descriptor's mutex (note_starved), never before:
  // this is the context's destruction, when no other thread may use it, so nothing
  // registers or deregisters meanwhile.
  for (epoll_descriptor& d : live_)
  {
    std::lock_guard<futex_mutex> dl(d.mutex);
    for (op_queue& q : d.queues)
      while (!q.empty())
      {
        parked_.fetch_sub(1, std::memory_order_relaxed);
        doomed.push(q.pop());
      }
  }
  // Deadlines first: a destroyed op must not stay linked in the deadline wheel.
  disarm_deadlines(doomed);
  // Outside the locks: destroying a handler may close sockets, which deregisters.
  doomed.destroy_all();
}

// A forked child shares the parent's epoll instance and eventfd (the descriptors are
// copies, the kernel objects the same): closing a socket in the child would remove the
// parent's registration of it (epoll items belong to the open file description, which
// both processes hold), and either process's wakeups would wake the other. The child
// gets an epoll instance and an eventfd of its own, with every descriptor registered
// again; a registration reports what is ready now, so parked ops go on as before. The
// parent keeps its own; before the fork nothing needs doing. Called, as in Asio, while no
// other thread uses the context (a forked child has no other thread anyway).
void epoll_backend::notify_fork(fork_phase phase)
{
  if (phase != fork_phase::child)
    return;
  int epfd, efd;
  boost::system::error_code ec;
  if (!open_epoll_set(epfd, efd, ec))
    throw boost::system::system_error(ec, "notify_fork"); // nothing changed: still shared
  int old_epfd = epfd_;
  int old_efd = event_fd_;
  epfd_ = epfd;
  event_fd_ = efd;
  wait_.attach(epfd_); // its probe finds the new eventfd idle: no event is consumed
  // Relaxed: no other thread runs the context here; the next interrupt writes the new one.
  wakeup_pending_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (epoll_descriptor& d : live_)
    {
      if (d.unpollable)
        continue;
      ::epoll_event dev{};
      dev.events = registered_events;
      dev.data.ptr = &d;
      // A failure leaves that descriptor without events in the child (one it closed
      // behind blitz's back, say); its ops then wait, as they would have before.
      wait_.control(EPOLL_CTL_ADD, d.fd, &dev);
    }
  }
  // The child's copies only: the parent's instance and eventfd live on through its own.
  ::close(old_epfd);
  ::close(old_efd);
}

} // namespace

std::unique_ptr<backend> make_epoll_backend(scheduler& s, boost::system::error_code& ec)
{
  std::unique_ptr<epoll_backend> b(new epoll_backend(s));
  if (!b->init(ec))
    return nullptr;
  return std::unique_ptr<backend>(std::move(b));
}

} // namespace detail
} // namespace blitz
