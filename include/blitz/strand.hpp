// strand<Executor>: runs the handlers given to it one at a time, in the order they were
// given, on any thread of the inner executor. make_strand(ex) / make_strand(ctx).
//
// Each strand is its own lock-free queue plus a "scheduled" flag (detail/strand_core.hpp
// has the state machine and the memory-order argument). Unlike Asio there is no pool of
// mutexes shared between strands: two unrelated strands never contend for anything but
// the inner executor itself.
//
// Layout of one strand's shared state (detail::strand_impl<Executor>, one allocation per
// make_strand, shared by every copy of the strand):
//
//   refs_          atomic<long>          copies of the strand, +1 while it is scheduled
//   scheduled_     atomic<bool>          false: idle, queue empty; true: one runner owns it
//   producer_end_  atomic<strand_item*>  newest queued handler, swapped in by every post
//   -- 64-byte gap: posting threads and the running thread do not share a cache line --
//   consumer_      strand_item*          oldest queued handler; the runner's alone
//   stub_          strand_item           placeholder while the queue is empty
//   ex_            Executor              where the runner is posted
//   runner_        dual_op               the runner itself, embedded: scheduling never
//                                        allocates for blitz's own executors
//
// Each queued handler is a strand_item (atomic link + completion function, 16 bytes) in
// front of the handler, carved from the posting thread's handler arena (see
// detail/handler_arena.hpp) or from the handler's own associated allocator.
//
// Guarantees, as Asio's: no two handlers of a strand overlap; handlers posted by one
// thread run in posting order; a handler runs only inside the strand's run of the inner
// executor, never inside post(). dispatch() runs the handler inline only when the caller is
// already running inside this strand (Asio also runs it inline when the strand happens to
// be idle and the caller is on the inner executor; blitz queues it then, so a completion
// never re-enters a caller that merely shares the executor).
#ifndef BLITZ_STRAND_HPP
#define BLITZ_STRAND_HPP

#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/op_delivery.hpp>
#include <blitz/detail/strand_core.hpp>
#include <blitz/post.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace blitz {

template <class Executor>
class strand;

namespace detail {

template <class Executor>
class strand_impl final : public strand_core
{
public:
  explicit strand_impl(const Executor& ex) : ex_(ex), runner_(this) {}

  void work_started() noexcept override { ex_.on_work_started(); }
  void work_finished() noexcept override { ex_.on_work_finished(); }

private:
  // The embedded runner, for executors that take ops directly (a dual_op, so the inner
  // executor may itself be a strand).
  class runner_op final : public dual_op_base<runner_op>
  {
  public:
    explicit runner_op(strand_impl* s) noexcept : impl_(s) {}

  private:
    friend class dual_op_base<runner_op>;
    static void do_complete(void* owner, runner_op* self)
    {
      if (owner)
        self->impl_->run();
      else
        self->impl_->abandon();
    }
    strand_impl* impl_;
  };

  // The runner as a function object, for any other executor. Move-only: two copies would
  // be two runners.
  class invoker
  {
  public:
    explicit invoker(strand_impl* s) noexcept : impl_(s) {}
    invoker(invoker&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
    invoker(const invoker&) = delete;
    invoker& operator=(const invoker&) = delete;
    ~invoker()
    {
      if (impl_)
        impl_->abandon(); // destroyed unrun: the executor is shutting down
    }
    void operator()()
    {
      strand_impl* s = impl_;
      impl_ = nullptr;
      s->run();
    }

  private:
    strand_impl* impl_;
  };

  void schedule() override { schedule_on(raw_op_executor<Executor>()); }
  void schedule_on(std::true_type) { raw_op_executor<Executor>::post(ex_, &runner_); }
  void schedule_on(std::false_type) { ex_.post(invoker(this), std::allocator<void>()); }
  void reschedule() override { reschedule_on(raw_op_executor<Executor>()); }
  void reschedule_on(std::true_type) { defer_op(ex_, &runner_); }
  void reschedule_on(std::false_type) { schedule_on(std::false_type()); }

  Executor ex_;
  runner_op runner_;
};

template <class T, class = void>
struct is_executor_source : std::false_type
{
};
// Anything with get_executor() and an executor_type that is not itself an executor:
// io_context, thread_pool, system_context.
template <class T>
struct is_executor_source<T, typename void_type<typename T::executor_type,
                                                decltype(std::declval<T&>().get_executor())>::type>
  : std::integral_constant<bool, !is_executor<T>::value>
{
};

} // namespace detail

template <class Executor>
class strand
{
public:
  using inner_executor_type = Executor;

  strand() : strand(Executor()) {}
  explicit strand(const Executor& e) : inner_(e), core_(new detail::strand_impl<Executor>(e)) {}

  // Shares other's queue: handlers given to either copy are serialised together.
  template <class Other,
            class = typename std::enable_if<std::is_convertible<Other, Executor>::value>::type>
  strand(const strand<Other>& other) noexcept : inner_(other.inner_), core_(other.core_)
  {
    core_->add_ref();
  }

  strand(const strand& o) noexcept : inner_(o.inner_), core_(o.core_) { core_->add_ref(); }
  // A moved-from strand may only be destroyed or assigned to, as in Asio.
  strand(strand&& o) noexcept : inner_(std::move(o.inner_)), core_(o.core_) { o.core_ = nullptr; }
  strand& operator=(const strand& o) noexcept
  {
    strand tmp(o);
    swap(tmp);
    return *this;
  }
  strand& operator=(strand&& o) noexcept
  {
    strand tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~strand()
  {
    if (core_)
      core_->release();
  }

  inner_executor_type get_inner_executor() const noexcept { return inner_; }
  auto context() const noexcept -> decltype(std::declval<const Executor&>().context())
  {
    return inner_.context();
  }

  void on_work_started() const noexcept { inner_.on_work_started(); }
  void on_work_finished() const noexcept { inner_.on_work_finished(); }

  // True while the calling thread runs one of this strand's handlers (in any copy).
  bool running_in_this_thread() const noexcept { return core_->running_in_this_thread(); }

  template <class F, class Alloc = std::allocator<void>>
  void post(F&& f, const Alloc& = Alloc()) const
  {
    core_->enqueue(detail::strand_post_op<detail::decay_handler_t<F>>::create(std::forward<F>(f)));
  }
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
  // Asio 1.81's execute() with its default blocking.possibly: like dispatch.
  template <class F>
  void execute(F&& f) const
  {
    dispatch(std::forward<F>(f));
  }

  friend bool operator==(const strand& a, const strand& b) noexcept { return a.core_ == b.core_; }
  friend bool operator!=(const strand& a, const strand& b) noexcept { return a.core_ != b.core_; }

private:
  template <class>
  friend class strand;
  friend struct detail::raw_op_executor<strand>;

  void swap(strand& o) noexcept
  {
    using std::swap;
    swap(inner_, o.inner_);
    swap(core_, o.core_);
  }

  Executor inner_;
  detail::strand_core* core_;
};

namespace detail {

template <class Executor>
struct raw_op_executor<strand<Executor>> : std::true_type
{
  static void post(const strand<Executor>& s, dual_op* o) { s.core_->enqueue(o); }
  static bool running_in_this_thread(const strand<Executor>& s) noexcept
  {
    return s.running_in_this_thread();
  }
};

} // namespace detail

template <class Executor>
typename std::enable_if<detail::is_executor<Executor>::value, strand<Executor>>::type
make_strand(const Executor& ex)
{
  return strand<Executor>(ex);
}

template <class Context>
typename std::enable_if<detail::is_executor_source<Context>::value,
                        strand<typename Context::executor_type>>::type
make_strand(Context& ctx)
{
  return strand<typename Context::executor_type>(ctx.get_executor());
}

} // namespace blitz

#include <blitz/io_context_strand.hpp>

#endif
