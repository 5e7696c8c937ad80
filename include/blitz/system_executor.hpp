// system_executor: "any thread". dispatch() and execute() run the function inside the
// call; post() and defer() run it on the process-wide system_context, a thread_pool created
// on first use and stopped and joined when the program exits (Asio's semantics). All
// system_executors compare equal; work counting is a no-op, as in Asio.
#ifndef BLITZ_SYSTEM_EXECUTOR_HPP
#define BLITZ_SYSTEM_EXECUTOR_HPP

#include <blitz/detail/handler_op.hpp>
#include <blitz/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <utility>

namespace blitz {

class system_context;

class system_executor
{
public:
  system_executor() noexcept = default;

  // Creates the system_context (and its threads) on first use.
  system_context& context() const noexcept;

  void on_work_started() const noexcept {}
  void on_work_finished() const noexcept {}

  template <class F, class Alloc = std::allocator<void>>
  void dispatch(F&& f, const Alloc& = Alloc()) const
  {
    detail::decay_handler_t<F> tmp(std::forward<F>(f));
    tmp();
  }
  template <class F, class Alloc = std::allocator<void>>
  void post(F&& f, const Alloc& a = Alloc()) const;
  template <class F, class Alloc = std::allocator<void>>
  void defer(F&& f, const Alloc& a = Alloc()) const
  {
    post(std::forward<F>(f), a);
  }
  // Asio 1.81's execute() with its default blocking.possibly: inline.
  template <class F>
  void execute(F&& f) const
  {
    dispatch(std::forward<F>(f));
  }

  friend bool operator==(const system_executor&, const system_executor&) noexcept { return true; }
  friend bool operator!=(const system_executor&, const system_executor&) noexcept { return false; }
};

class system_context
{
public:
  using executor_type = system_executor;

  system_context(const system_context&) = delete;
  system_context& operator=(const system_context&) = delete;
  // Runs at exit: stops the threads and waits for them.
  ~system_context();

  executor_type get_executor() noexcept { return system_executor(); }
  void stop();
  bool stopped() const noexcept;
  // After stop(): waits for the threads.
  void join();

  thread_pool& pool() noexcept { return pool_; }

private:
  friend class system_executor;
  system_context();
  static system_context& instance();

  thread_pool pool_;
  std::atomic<bool> stopped_{false}; // a report only: relaxed

};

inline system_context& system_executor::context() const noexcept { return system_context::instance(); }

template <class F, class Alloc>
void system_executor::post(F&& f, const Alloc& a) const
{
  system_context::instance().pool().get_executor().post(std::forward<F>(f), a);
}

} // namespace blitz

#endif
