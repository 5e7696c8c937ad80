// async_semaphore: permits handed out in arrival order, waiting without blocking a thread
// (Tokio's Semaphore, callback style). async_mutex and notify build on the same waiters.
//
//   blitz::async_semaphore slots(ctx, 4);           // four at a time
//   slots.async_acquire([&](const boost::system::error_code& ec) {
//     if (ec) return;                               // operation_aborted: cancel() or ~
//     ... use the resource ...
//     slots.release();
//   });
//
// Fair: while anyone waits, try_acquire fails and a release goes to the longest waiter, so a
// stream of fresh acquirers cannot starve a queued one. Thread-safe: any thread may acquire,
// release or cancel; handlers run through their associated executor, never inside the call
// that started or woke them. Waits take no cancellation slot (bind_cancellation_slot and
// cancel_after do not apply): cancel() ends them.
#ifndef BLITZ_ASYNC_SEMAPHORE_HPP
#define BLITZ_ASYNC_SEMAPHORE_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/sync_waiters.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>

#include <cstddef>
#include <mutex>
#include <utility>

namespace blitz {

class async_semaphore
{
public:
  using executor_type = io_context::executor_type;

  async_semaphore(io_context& ctx, std::size_t permits)
    : ex_(ctx.get_executor()), waiters_(ctx.impl()), permits_(permits)
  {
  }
  async_semaphore(const executor_type& ex, std::size_t permits)
    : ex_(ex), waiters_(ex.context().impl()), permits_(permits)
  {
  }
  async_semaphore(const async_semaphore&) = delete;
  async_semaphore& operator=(const async_semaphore&) = delete;

  // Waiters still queued complete with operation_aborted.
  ~async_semaphore() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }

  std::size_t available() const
  {
    std::lock_guard<std::mutex> lock(mutex_);
    return permits_;
  }

  // Takes a permit if one is free and nobody is queued for it.
  bool try_acquire()
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (permits_ == 0 || !waiters_.empty())
      return false;
    --permits_;
    return true;
  }

  // handler(error_code): success once a permit is the caller's, operation_aborted if
  // cancelled first (the permit is then not taken).
  template <class Handler>
  auto async_acquire(Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code)>(
        [this](auto&& h) {
          using H = decltype(h);
          using op_t = detail::ec_op<detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          detail::completion_batch batch(waiters_);
          std::lock_guard<std::mutex> lock(mutex_);
          if (permits_ > 0 && waiters_.empty())
          {
            --permits_;
            waiters_.ready_now(o, batch.done);
          }
          else
            waiters_.park(o);
        },
        handler);
  }

  // Returns n permits: the longest waiters get them first, the rest stay free.
  void release(std::size_t n = 1)
  {
    detail::completion_batch batch(waiters_);
    std::lock_guard<std::mutex> lock(mutex_);
    for (; n > 0 && !waiters_.empty(); --n)
    {
      detail::result_op* o = waiters_.take();
      o->ec_ = boost::system::error_code();
      batch.done.push(o);
    }
    permits_ += n;
  }

  // Every queued acquire completes with operation_aborted; returns how many.
  std::size_t cancel() { return detail::wake_all_posted(waiters_, mutex_, error::operation_aborted); }

private:
  executor_type ex_;
  // Guards waiters_ and permits_; taken by no other lock's holder, and held while no other
  // lock is taken (completions are posted after it is released).
  mutable std::mutex mutex_;
  detail::sync_waiters waiters_;
  std::size_t permits_;
};

} // namespace blitz

#endif
