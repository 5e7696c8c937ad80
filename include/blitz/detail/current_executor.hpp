// Which executor the calling thread is working for, as far as blitz itself can tell.
//
// A frame is pushed by a strand while it runs its handlers, by every io_context_pool thread
// around run(), and by every thread_pool worker; frames nest (a strand running on a pool
// worker sits above the pool's frame). Two things read them:
//   - strand::running_in_this_thread() looks for its own frame;
//   - offload() and parallel_for() send a result back to the innermost frame's executor
//     when the handler names none ("back on the strand / io_context that started it").
//
// A frame carries its executor type-erased (a table of plain functions and a target
// pointer) so that the compiled thread pool and any strand type can share one stack.
// erased_executor is the owning form: it keeps a strand's state alive while a result is on
// its way to it. io_context and thread_pool targets are not reference counted: as with any
// Asio executor, the context must outlive the work sent to it.
#ifndef BLITZ_DETAIL_CURRENT_EXECUTOR_HPP
#define BLITZ_DETAIL_CURRENT_EXECUTOR_HPP

#include <blitz/detail/strand_queue.hpp>

#include <utility>

namespace blitz {
namespace detail {

struct executor_ops
{
  // None of the first five throws (C++14 cannot say so in a function pointer's type).
  void (*add_ref)(void* target);
  void (*release)(void* target);
  void (*work_started)(void* target);
  void (*work_finished)(void* target);
  bool (*running_in_this_thread)(void* target);
  // Queues o to run on the target; the target counts it as work while it is queued.
  void (*post)(void* target, dual_op* o);
};

struct exec_frame
{
  const executor_ops* ops;
  void* target;
  exec_frame* prev;
};

// A function-local thread_local of trivial type: no guard, one TLS access.
inline exec_frame*& exec_frame_top() noexcept
{
  static thread_local exec_frame* top = nullptr;
  return top;
}

inline bool exec_frame_active(const void* target) noexcept
{
  for (exec_frame* f = exec_frame_top(); f; f = f->prev)
    if (f->target == target)
      return true;
  return false;
}

class exec_frame_scope
{
public:
  exec_frame_scope(const executor_ops& ops, void* target) noexcept
    : frame_{&ops, target, exec_frame_top()}
  {
    exec_frame_top() = &frame_;
  }
  exec_frame_scope(const exec_frame_scope&) = delete;
  exec_frame_scope& operator=(const exec_frame_scope&) = delete;
  ~exec_frame_scope() { exec_frame_top() = frame_.prev; }

private:
  exec_frame frame_;
};

class erased_executor
{
public:
  erased_executor() noexcept = default;
  erased_executor(const executor_ops& ops, void* target) noexcept : ops_(&ops), target_(target)
  {
    ops_->add_ref(target_);
  }
  erased_executor(const erased_executor& o) noexcept : ops_(o.ops_), target_(o.target_)
  {
    if (ops_)
      ops_->add_ref(target_);
  }
  erased_executor(erased_executor&& o) noexcept : ops_(o.ops_), target_(o.target_)
  {
    o.ops_ = nullptr;
    o.target_ = nullptr;
  }
  erased_executor& operator=(erased_executor o) noexcept
  {
    std::swap(ops_, o.ops_);
    std::swap(target_, o.target_);
    return *this;
  }
  ~erased_executor()
  {
    if (ops_)
      ops_->release(target_);
  }

  // The innermost frame of this thread, or an empty executor.
  static erased_executor current() noexcept
  {
    exec_frame* f = exec_frame_top();
    return f ? erased_executor(*f->ops, f->target) : erased_executor();
  }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  void on_work_started() const noexcept { ops_->work_started(target_); }
  void on_work_finished() const noexcept { ops_->work_finished(target_); }
  bool running_in_this_thread() const noexcept { return ops_->running_in_this_thread(target_); }
  void post_op(dual_op* o) const { ops_->post(target_, o); }

private:
  const executor_ops* ops_ = nullptr;
  void* target_ = nullptr;
};

} // namespace detail
} // namespace blitz

#endif
