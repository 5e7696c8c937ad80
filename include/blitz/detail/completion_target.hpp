// Where the result of work done on a thread_pool is delivered, and the pieces that carry
// it there (shared by offload() and parallel_for()).
//
// The rule, decided when the work is started:
//   1. the handler's associated executor, if it has one (bind_executor(ex, h),
//      strand.wrap(h), a handler from a composed operation that forwards its caller's);
//   2. else the executor the calling thread is running for, as far as blitz can tell
//      (detail/current_executor.hpp): the strand whose handler is calling, the io_context
//      of an io_context_pool thread, the pool itself when called from one of its workers;
//   3. else the pool: the handler runs on the pool thread, right after the work.
// Rule 2 cannot see an io_context whose run() a thread of the program's own calls (the
// scheduler keeps no such frame); name it with bind_executor(ctx, h) then.
//
// The target counts one unit of work from the start until the handler has been handed to
// it, so an io_context's run() does not return while a result is on its way back.
#ifndef BLITZ_DETAIL_COMPLETION_TARGET_HPP
#define BLITZ_DETAIL_COMPLETION_TARGET_HPP

#include <blitz/associated_executor.hpp>
#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/detail/op_delivery.hpp>
#include <blitz/thread_pool.hpp>

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class Handler, bool = names_executor<Handler>::value>
struct completion_target
{
  using type = associated_executor_t<Handler>;
  static type get(const Handler& h, pool_core&) noexcept { return get_associated_executor(h); }
};

template <class Handler>
struct completion_target<Handler, false>
{
  using type = erased_executor;
  static type get(const Handler&, pool_core& pool) noexcept
  {
    erased_executor current = erased_executor::current();
    if (current)
      return current;
    return erased_executor(pool_erased_ops(), &pool);
  }
};

// The arguments a handler receives: (exception_ptr, T), or (exception_ptr) for void.
template <class T>
struct result_args
{
  std::exception_ptr error;
  T value;
  template <class Handler>
  void apply(Handler& h)
  {
    h(std::move(error), std::move(value));
  }
  template <class Handler>
  bound_completion<Handler, std::exception_ptr, T> bind(Handler&& h)
  {
    return bound_completion<Handler, std::exception_ptr, T>(std::move(h), std::move(error),
                                                            std::move(value));
  }
};

template <>
struct result_args<void>
{
  std::exception_ptr error;
  template <class Handler>
  void apply(Handler& h)
  {
    h(std::move(error));
  }
  template <class Handler>
  bound_completion<Handler, std::exception_ptr> bind(Handler&& h)
  {
    return bound_completion<Handler, std::exception_ptr>(std::move(h), std::move(error));
  }
};

// The outcome of fn(): its value, or the exception it threw (with a default-constructed
// value beside it, which the (exception_ptr, T) signature needs).
template <class T>
class result_slot
{
  static_assert(std::is_default_constructible<T>::value,
                "offload: the result type must be default-constructible (it is passed, "
                "default-constructed, alongside an exception)");
  static_assert(std::is_move_constructible<T>::value, "offload: the result must be movable");

public:
  result_slot() noexcept {}
  result_slot(const result_slot&) = delete;
  result_slot& operator=(const result_slot&) = delete;
  ~result_slot()
  {
    if (has_value_)
      ptr()->~T();
  }

  template <class Fn>
  void compute(Fn& fn) noexcept
  {
    try
    {
      new (&storage_) T(fn());
    }
    catch (...)
    {
      error_ = std::current_exception();
      new (&storage_) T();
    }
    has_value_ = true;
  }

  result_args<T> take() { return result_args<T>{std::move(error_), std::move(*ptr())}; }

private:
  T* ptr() noexcept { return static_cast<T*>(static_cast<void*>(&storage_)); }

  typename std::aligned_storage<sizeof(T), alignof(T)>::type storage_;
  bool has_value_ = false;
  std::exception_ptr error_;
};

template <>
class result_slot<void>
{
public:
  template <class Fn>
  void compute(Fn& fn) noexcept
  {
    try
    {
      fn();
    }
    catch (...)
    {
      error_ = std::current_exception();
    }
  }

  result_args<void> take() { return result_args<void>{std::move(error_)}; }

private:
  std::exception_ptr error_;
};

// Hands `self` (a dual_op that now holds the result) to the target with dispatch semantics,
// then gives back the unit of work taken when the work started. The order matters: the
// target counts the queued op before the start-time unit goes, so its count never touches
// zero in between.
template <class Target>
void deliver_op(Target& target, dual_op* self)
{
  struct release_work
  {
    Target& t;
    ~release_work() { t.on_work_finished(); }
  } guard{target};
  dispatch_op(target, self);
}

// The same for an executor that only takes function objects.
template <class Target, class Completion, class Alloc>
void deliver_function(Target& target, Completion&& c, const Alloc& alloc)
{
  struct release_work
  {
    Target& t;
    ~release_work() { t.on_work_finished(); }
  } guard{target};
  target.dispatch(std::move(c), alloc);
}

} // namespace detail
} // namespace blitz

#endif
