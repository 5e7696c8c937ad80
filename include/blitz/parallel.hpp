// Data parallelism on a thread_pool.
//
// parallel_for(pool, first, last, fn, handler)
//   Calls fn(i) for every i in [first, last) on the pool's workers, then handler(error)
//   with error == nullptr, or the first exception fn threw (once one is thrown, indices not
//   yet started are skipped). Asynchronous: returns at once; the handler runs where
//   offload()'s would (detail/completion_target.hpp) and the target counts as having work.
//   The range is split in halves, recursively, down to about 1/8 of an equal share per
//   worker: a worker keeps splitting its piece and pushing the far half onto its own
//   deque, where idle workers steal the biggest pieces first.
//
// join(pool, a, b)
//   Runs a() and b() in parallel and returns std::pair of their results (std::tuple<> for
//   one that returns void). Blocks. Rethrows a's exception, else b's, after both finished.
//   Called on a pool worker: b is pushed onto this worker's deque, a runs here, and while
//   b is still running elsewhere this worker runs other queued tasks (it never blocks, so
//   nested joins cannot deadlock the pool). Called on any other thread: the whole join is
//   handed to the pool and the caller blocks until it is done.
#ifndef BLITZ_PARALLEL_HPP
#define BLITZ_PARALLEL_HPP

#include <blitz/detail/completion_target.hpp>
#include <blitz/detail/cpu_relax.hpp>
#include <blitz/detail/strand_queue.hpp>
#include <blitz/error.hpp>
#include <blitz/strand.hpp>
#include <blitz/thread_pool.hpp>

#include <boost/system/system_error.hpp>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// The shared state of one parallel_for; once the last piece is done it becomes the op
// that carries handler(error) to the target.
template <class Index, class Fn, class Handler, class Target>
class parallel_for_op final : public dual_op_base<parallel_for_op<Index, Fn, Handler, Target>>
{
public:
  template <class F, class H>
  parallel_for_op(pool_core& pool, Index grain, F&& f, H&& h, Target&& t)
    : fn_(std::forward<F>(f)), handler_(std::forward<H>(h)), target_(std::move(t)), pool_(pool),
      grain_(grain)
  {
  }

  // One piece of the range: an op on the pool.
  class piece final : public op
  {
  public:
    piece(parallel_for_op* s, Index b, Index e) noexcept : op(&piece::do_complete), s_(s), b_(b), e_(e) {}

  private:
    static void do_complete(void* owner, op* base)
    {
      piece* self = static_cast<piece*>(base);
      parallel_for_op* s = self->s_;
      Index b = self->b_, e = self->e_;
      delete_op(self);
      if (owner)
        s->run_range(b, e);
      else
        s->piece_abandoned();
    }
    parallel_for_op* s_;
    Index b_, e_;
  };

  void run_range(Index b, Index e)
  {
    while (e - b > grain_)
    {
      Index mid = static_cast<Index>(b + (e - b) / 2);
      // Relaxed: counted before the piece can be taken (pool_post publishes it), and the
      // decrements are acq_rel.
      pending_.fetch_add(1, std::memory_order_relaxed);
      piece* p = nullptr;
      try
      {
        p = new_op<piece>(this, mid, e);
      }
      catch (...)
      {
      }
      // Not pool_post: on failure it destroys the piece, which counts as a piece abandoned
      // by the pool's destruction, and the count would drop twice.
      if (!p || !pool_try_post(pool_, p))
      {
        if (p)
          delete_op(p);
        pending_.fetch_sub(1, std::memory_order_relaxed); // not queued: run it here
        break;
      }
      e = mid;
    }
    try
    {
      // Relaxed: a hint to stop early; the error itself travels through pending_.
      for (Index i = b; i != e && !failed_.load(std::memory_order_relaxed); ++i)
        fn_(i);
    }
    catch (...)
    {
      if (!failed_.exchange(true, std::memory_order_relaxed))
        error_ = std::current_exception();
    }
    piece_done();
  }

  void piece_abandoned() noexcept
  {
    abandoned_.store(true, std::memory_order_relaxed);
    piece_done();
  }

private:
  friend class dual_op_base<parallel_for_op>;

  // acq_rel: the thread that finishes last sees every piece's effects (and error_), and so
  // does the handler it sends them to.
  void piece_done() noexcept
  {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      finish();
  }

  void finish() noexcept
  {
    if (abandoned_.load(std::memory_order_relaxed))
    {
      Target t(std::move(target_));
      delete_op_with(this, get_associated_allocator(handler_));
      t.on_work_finished();
      return;
    }
    deliver(raw_op_executor<Target>());
  }

  void deliver(std::true_type)
  {
    Target t(std::move(target_));
    deliver_op(t, this);
  }

  void deliver(std::false_type)
  {
    Target t(std::move(target_));
    auto alloc = get_associated_allocator(handler_);
    auto completion = result_args<void>{std::move(error_)}.bind(std::move(handler_));
    delete_op_with(this, alloc);
    deliver_function(t, std::move(completion), alloc);
  }

  // Completion on the target (owner != nullptr), or destruction by it.
  static void do_complete(void* owner, parallel_for_op* self)
  {
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    std::exception_ptr error = std::move(self->error_);
    delete_op_with(self, alloc);
    if (owner)
      handler(std::move(error));
  }

  Fn fn_;
  Handler handler_;
  Target target_;
  pool_core& pool_;
  const Index grain_;
  std::atomic<long> pending_{1};
  std::atomic<bool> failed_{false};
  std::atomic<bool> abandoned_{false};
  std::exception_ptr error_; // written by the one thread that set failed_
};

// A value, or the exception that prevented it. Needs no default constructor.
template <class V>
class join_slot
{
public:
  join_slot() noexcept {}
  join_slot(const join_slot&) = delete;
  join_slot& operator=(const join_slot&) = delete;
  ~join_slot()
  {
    if (has_value_)
      ptr()->~V();
  }
  template <class F>
  void compute(F& f) noexcept
  {
    try
    {
      emplace(f, std::is_same<V, std::tuple<>>());
      has_value_ = true;
    }
    catch (...)
    {
      error_ = std::current_exception();
    }
  }
  void fail(std::exception_ptr e) noexcept { error_ = std::move(e); }
  const std::exception_ptr& error() const noexcept { return error_; }
  V take() { return std::move(*ptr()); }

private:
  template <class F>
  void emplace(F& f, std::false_type)
  {
    new (&storage_) V(f());
  }
  template <class F>
  void emplace(F& f, std::true_type)
  {
    f();
    new (&storage_) V();
  }
  V* ptr() noexcept { return static_cast<V*>(static_cast<void*>(&storage_)); }

  typename std::aligned_storage<sizeof(V), alignof(V)>::type storage_;
  bool has_value_ = false;
  std::exception_ptr error_;
};

template <class F>
using join_value_t = typename std::conditional<
    std::is_void<decltype(std::declval<F&>()())>::value, std::tuple<>,
    typename std::decay<decltype(std::declval<F&>()())>::type>::type;

inline std::exception_ptr pool_destroyed_error()
{
  return std::make_exception_ptr(
      boost::system::system_error(make_error_code(error::operation_aborted), "thread_pool destroyed"));
}

// The forked half of a join: lives on the joining thread's stack, which outlives it
// because the joiner waits for done_.
template <class F>
class join_job final : public op
{
public:
  explicit join_job(F& f) noexcept : op(&join_job::do_complete), f_(f) {}

  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  join_slot<join_value_t<F>>& slot() noexcept { return slot_; }

private:
  static void do_complete(void* owner, op* base)
  {
    join_job* self = static_cast<join_job*>(base);
    if (owner)
      self->slot_.compute(self->f_);
    else
      self->slot_.fail(pool_destroyed_error());
    // Release: the joiner reads the result after seeing done_; the last touch of *self.
    self->done_.store(true, std::memory_order_release);
  }

  F& f_;
  join_slot<join_value_t<F>> slot_;
  std::atomic<bool> done_{false};
};

template <class A, class B>
std::pair<join_value_t<A>, join_value_t<B>> join_on_worker(pool_core& pool, A& a, B& b)
{
  join_job<B> jb(b);
  pool_post(pool, &jb);
  join_slot<join_value_t<A>> ra;
  ra.compute(a);
  for (unsigned idle = 0; !jb.done();)
  {
    // b is still queued (most likely right here, on top of this worker's deque) or running
    // on a thief: run whatever is queued meanwhile instead of blocking a worker.
    if (pool_help_one(pool))
    {
      idle = 0;
      continue;
    }
    if (++idle < 64)
    {
      for (int i = 0; i < 16; ++i)
        cpu_relax();
    }
    else
    {
      std::this_thread::yield();
    }
  }
  if (ra.error())
    std::rethrow_exception(ra.error());
  if (jb.slot().error())
    std::rethrow_exception(jb.slot().error());
  return std::pair<join_value_t<A>, join_value_t<B>>(ra.take(), jb.slot().take());
}

// A join started from outside the pool: the whole join runs on a worker while the caller
// waits on a condition variable (it is not a worker, so it has nothing to help with).
template <class A, class B>
class outside_join final : public op
{
public:
  using result_type = std::pair<join_value_t<A>, join_value_t<B>>;

  outside_join(pool_core& pool, A& a, B& b) noexcept
    : op(&outside_join::do_complete), pool_(pool), a_(a), b_(b)
  {
  }

  result_type wait()
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    lock.unlock();
    if (slot_.error())
      std::rethrow_exception(slot_.error());
    return slot_.take();
  }

private:
  static void do_complete(void* owner, op* base)
  {
    outside_join* self = static_cast<outside_join*>(base);
    if (owner)
    {
      auto both = [self] { return join_on_worker(self->pool_, self->a_, self->b_); };
      self->slot_.compute(both);
    }
    else
    {
      self->slot_.fail(pool_destroyed_error());
    }
    // Notified under the lock: the waiter cannot return (and destroy *self) before this
    // thread has let go of mutex_.
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->done_ = true;
    self->cv_.notify_one();
  }

  pool_core& pool_;
  A& a_;
  B& b_;
  join_slot<result_type> slot_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false; // mutex_
};

} // namespace detail

template <class Index, class Fn, class Handler>
void parallel_for(thread_pool& pool, Index first, Index last, Fn&& fn, Handler&& handler)
{
  static_assert(std::is_integral<Index>::value, "parallel_for: the index must be integral");
  using handler_type = typename std::decay<Handler>::type;
  using target_of = detail::completion_target<handler_type>;
  using target_type = typename target_of::type;
  using op_type =
      detail::parallel_for_op<Index, typename std::decay<Fn>::type, handler_type, target_type>;

  detail::pool_core& core = pool.impl();
  if (last < first)
    last = first;
  unsigned long long span = static_cast<unsigned long long>(last - first);
  unsigned long long pieces = static_cast<unsigned long long>(detail::pool_threads(core)) * 8;
  Index grain = static_cast<Index>(span / pieces > 0 ? span / pieces : 1);

  target_type target = target_of::get(handler, core);
  target.on_work_started();
  op_type* state = nullptr;
  try
  {
    auto alloc = get_associated_allocator(handler);
    state = detail::new_op_with<op_type>(alloc, core, grain, std::forward<Fn>(fn),
                                         std::forward<Handler>(handler), std::move(target));
  }
  catch (...)
  {
    target.on_work_finished();
    throw;
  }
  // The whole range as the first piece: the handler never runs inside this call. If it
  // cannot be queued, the piece is destroyed, which finishes the state as abandoned.
  typename op_type::piece* root = nullptr;
  try
  {
    root = detail::new_op<typename op_type::piece>(state, first, last);
  }
  catch (...)
  {
    state->piece_abandoned();
    throw;
  }
  detail::pool_post(core, root);
}

template <class A, class B>
std::pair<detail::join_value_t<A>, detail::join_value_t<B>> join(thread_pool& pool, A&& a, B&& b)
{
  detail::pool_core& core = pool.impl();
  if (detail::pool_running_in_this_thread(core))
    return detail::join_on_worker(core, a, b);
  detail::outside_join<typename std::remove_reference<A>::type,
                       typename std::remove_reference<B>::type>
      job(core, a, b);
  detail::pool_post(core, &job);
  return job.wait();
}

} // namespace blitz

#endif
