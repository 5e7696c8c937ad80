// Handing a ready op straight to an executor, without wrapping it in a second allocation.
//
// Asio's executors only accept function objects, so "run this on executor E" means
// allocating an op inside E. Executors blitz implements itself (io_context, strand,
// thread_pool and the type-erased erased_executor) also accept an op that already exists:
// the strand's runner re-posts itself this way for free, and an offload op travels
// io_context -> pool -> io_context as one block of memory. raw_op_executor<E> says whether
// E can do that; specialisations live beside each executor.
#ifndef BLITZ_DETAIL_OP_DELIVERY_HPP
#define BLITZ_DETAIL_OP_DELIVERY_HPP

#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/strand_queue.hpp>
#include <blitz/io_context.hpp>

#include <type_traits>

namespace blitz {
namespace detail {

// Primary: a foreign executor; only its post/dispatch(function) interface is used.
// A specialisation derives from std::true_type and provides
//   static void post(const E&, dual_op*);                  // queued, counted as E's work
//   static bool running_in_this_thread(const E&) noexcept;
template <class Executor, class = void>
struct raw_op_executor : std::false_type
{
};

template <>
struct raw_op_executor<io_context::executor_type> : std::true_type
{
  static void post(const io_context::executor_type& ex, dual_op* o)
  {
    ex.context().impl().post(o);
  }
  static bool running_in_this_thread(const io_context::executor_type& ex) noexcept
  {
    return ex.running_in_this_thread();
  }
};

template <>
struct raw_op_executor<erased_executor> : std::true_type
{
  static void post(const erased_executor& ex, dual_op* o) { ex.post_op(o); }
  static bool running_in_this_thread(const erased_executor& ex) noexcept
  {
    return ex.running_in_this_thread();
  }
};

// Queues o on ex as a continuation of the handler running now: an io_context keeps it on
// the calling thread (defer); other executors queue it as a post.
template <class Executor>
void defer_op(const Executor& ex, dual_op* o)
{
  raw_op_executor<Executor>::post(ex, o);
}
inline void defer_op(const io_context::executor_type& ex, dual_op* o)
{
  ex.context().impl().post_continuation(o);
}

// Completes o on ex with dispatch semantics: inline when this thread already runs ex's
// handlers, queued on ex otherwise. o's completion must only test owner for null.
template <class Executor>
void dispatch_op(const Executor& ex, dual_op* o)
{
  if (raw_op_executor<Executor>::running_in_this_thread(ex))
    static_cast<op*>(o)->complete(o);
  else
    raw_op_executor<Executor>::post(ex, o);
}

// An io_context as a type-erased executor: what an io_context_pool thread runs for.
inline const executor_ops& io_context_erased_ops() noexcept
{
  struct fns
  {
    static io_context& ctx(void* t) { return *static_cast<io_context*>(t); }
    static void nothing(void*) {}
    static void started(void* t) { ctx(t).impl().work_started(); }
    static void finished(void* t) { ctx(t).impl().work_finished(); }
    static bool running(void* t) { return ctx(t).impl().running_in_this_thread(); }
    static void post(void* t, dual_op* o) { ctx(t).impl().post(o); }
  };
  static const executor_ops ops = {&fns::nothing, &fns::nothing, &fns::started,
                                   &fns::finished, &fns::running, &fns::post};
  return ops;
}

} // namespace detail
} // namespace blitz

#endif
