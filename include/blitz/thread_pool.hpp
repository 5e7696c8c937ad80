// thread_pool: a fixed set of threads for CPU work, with Asio's interface.
//
//   blitz::thread_pool pool(4);
//   blitz::post(pool, [] { crunch(); });
//   pool.join();                         // waits until no work is left, then ends the threads
//
// Scheduling (libs/offload/thread_pool.cpp): each worker has a Chase-Lev deque; work posted
// from a worker goes to its own deque, work posted from any other thread to a shared
// lock-free injection queue; an idle worker takes from its deque, then the injection queue,
// then steals from the others, spins briefly, and only then sleeps.
//
// As in Asio: join() (or wait()) without stop() lets all outstanding work finish (including
// work guards on the pool's executor) before the threads end; stop() makes the threads end
// as soon as their current task returns; the destructor stops, joins, and destroys every
// handler that never ran. A task that throws terminates the program (Asio's thread_pool
// threads do the same); offload() and parallel_for() catch and deliver exceptions instead.
// Tasks posted from inside the pool are not ordered with respect to each other: use a strand.
//
// Differences from Asio: the default size is the number of hardware threads (Asio uses
// twice that, which suits blocking work better; this pool is for CPU work). There is no
// attach().
#ifndef BLITZ_THREAD_POOL_HPP
#define BLITZ_THREAD_POOL_HPP

#include <blitz/bind_executor.hpp>
#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/op_delivery.hpp>
#include <blitz/executor_work_guard.hpp>
#include <blitz/post.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

class pool_core;

// Out of line, in libs/offload/thread_pool.cpp.
// Takes ownership of o and counts it as one unit of work until it has run; never runs it
// inside the call. If queuing fails (std::bad_alloc), o is destroyed and the error rethrown.
void pool_post(pool_core& p, op* o);
// The same, except that on failure o stays the caller's, untouched (not destroyed, not
// counted), and the result is false: for a caller that can run the work itself instead.
bool pool_try_post(pool_core& p, op* o) noexcept;
void pool_work_started(pool_core& p) noexcept;
void pool_work_finished(pool_core& p) noexcept;
bool pool_running_in_this_thread(const pool_core& p) noexcept;
// Called by a worker of p that waits for something: runs one queued task of p if it finds
// one. Returns false (and runs nothing) when none was found or the caller is not a worker.
bool pool_help_one(pool_core& p);
std::size_t pool_threads(const pool_core& p) noexcept;
// The pool as a type-erased executor (target: the pool_core).
const executor_ops& pool_erased_ops() noexcept;

} // namespace detail

class thread_pool
{
public:
  class executor_type;

  thread_pool();
  explicit thread_pool(std::size_t num_threads);
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool();

  executor_type get_executor() noexcept;
  executor_type executor() noexcept;

  void stop();
  // Without stop(): waits until the pool has no outstanding work, then for its threads.
  void join();
  void wait() { join(); }

  detail::pool_core& impl() noexcept { return *core_; }

private:
  detail::pool_core* core_;
};

class thread_pool::executor_type
{
public:
  thread_pool& context() const noexcept { return *pool_; }

  void on_work_started() const noexcept { detail::pool_work_started(pool_->impl()); }
  void on_work_finished() const noexcept { detail::pool_work_finished(pool_->impl()); }
  bool running_in_this_thread() const noexcept
  {
    return detail::pool_running_in_this_thread(pool_->impl());
  }

  template <class F, class Alloc = std::allocator<void>>
  void post(F&& f, const Alloc& = Alloc()) const
  {
    using op_t = detail::post_op<detail::decay_handler_t<F>>;
    detail::pool_post(pool_->impl(), detail::new_handler_op<op_t>(std::forward<F>(f)));
  }
  // A continuation of the current task: from a worker it lands on that worker's own deque,
  // which post() already does.
  template <class F, class Alloc = std::allocator<void>>
  void defer(F&& f, const Alloc& a = Alloc()) const
  {
    post(std::forward<F>(f), a);
  }
  template <class F, class Alloc = std::allocator<void>>
  void dispatch(F&& f, const Alloc& a = Alloc()) const
  {
    if (running_in_this_thread())
    {
      detail::decay_handler_t<F> tmp(std::forward<F>(f));
      tmp();
      return;
    }
    post(std::forward<F>(f), a);
  }
  // Asio 1.81's execute() with its default blocking.possibly: inline on a pool thread.
  template <class F>
  void execute(F&& f) const
  {
    dispatch(std::forward<F>(f));
  }

  friend bool operator==(const executor_type& a, const executor_type& b) noexcept
  {
    return a.pool_ == b.pool_;
  }
  friend bool operator!=(const executor_type& a, const executor_type& b) noexcept
  {
    return a.pool_ != b.pool_;
  }

private:
  friend class thread_pool;
  explicit executor_type(thread_pool& p) noexcept : pool_(&p) {}
  thread_pool* pool_;
};

inline thread_pool::executor_type thread_pool::get_executor() noexcept
{
  return executor_type(*this);
}
inline thread_pool::executor_type thread_pool::executor() noexcept { return executor_type(*this); }

namespace detail {

template <>
struct raw_op_executor<thread_pool::executor_type> : std::true_type
{
  static void post(const thread_pool::executor_type& ex, dual_op* o)
  {
    pool_post(ex.context().impl(), o);
  }
  static bool running_in_this_thread(const thread_pool::executor_type& ex) noexcept
  {
    return ex.running_in_this_thread();
  }
};

} // namespace detail

// post.hpp and bind_executor.hpp recognise an execution context by its run() member, which
// Asio's thread_pool does not have; these overloads give the pool the same free functions.
template <class Handler>
auto post(thread_pool& pool, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_post(), h, pool.get_executor());
}
template <class Handler>
auto dispatch(thread_pool& pool, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_dispatch(), h, pool.get_executor());
}
template <class Handler>
auto defer(thread_pool& pool, Handler&& h)
{
  return async_initiate<Handler, void()>(detail::initiate_defer(), h, pool.get_executor());
}
template <class T>
executor_binder<typename std::decay<T>::type, thread_pool::executor_type>
bind_executor(thread_pool& pool, T&& t)
{
  return executor_binder<typename std::decay<T>::type, thread_pool::executor_type>(
      pool.get_executor(), std::forward<T>(t));
}
inline executor_work_guard<thread_pool::executor_type> make_work_guard(thread_pool& pool)
{
  return executor_work_guard<thread_pool::executor_type>(pool.get_executor());
}

} // namespace blitz

#endif
