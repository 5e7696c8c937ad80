// executor_work_guard: keeps an executor's context from running out of work.
#ifndef BLITZ_EXECUTOR_WORK_GUARD_HPP
#define BLITZ_EXECUTOR_WORK_GUARD_HPP

#include <blitz/post.hpp>

namespace blitz {

template <class Executor>
class executor_work_guard
{
public:
  using executor_type = Executor;

  explicit executor_work_guard(const executor_type& ex) noexcept : ex_(ex), owns_(true)
  {
    ex_.on_work_started();
  }
  executor_work_guard(const executor_work_guard& other) noexcept
    : ex_(other.ex_), owns_(other.owns_)
  {
    if (owns_)
      ex_.on_work_started();
  }
  executor_work_guard(executor_work_guard&& other) noexcept : ex_(other.ex_), owns_(other.owns_)
  {
    other.owns_ = false;
  }
  executor_work_guard& operator=(const executor_work_guard&) = delete;
  ~executor_work_guard() { reset(); }

  executor_type get_executor() const noexcept { return ex_; }
  bool owns_work() const noexcept { return owns_; }
  void reset() noexcept
  {
    if (owns_)
    {
      owns_ = false;
      ex_.on_work_finished();
    }
  }

private:
  executor_type ex_;
  bool owns_;
};

template <class Executor>
typename std::enable_if<detail::is_executor<Executor>::value,
                        executor_work_guard<Executor>>::type
make_work_guard(const Executor& ex)
{
  return executor_work_guard<Executor>(ex);
}

template <class Context>
typename std::enable_if<detail::is_execution_context<Context>::value,
                        executor_work_guard<typename Context::executor_type>>::type
make_work_guard(Context& ctx)
{
  return executor_work_guard<typename Context::executor_type>(ctx.get_executor());
}

} // namespace blitz

#endif
