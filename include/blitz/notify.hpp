// notify: wake a waiting handler, or leave it a permit (Tokio's Notify, callback style).
//
// notify_one() wakes the longest waiter; with nobody waiting it stores one permit (at most
// one), which the next async_wait consumes at once, so a notification sent just before the
// wait starts is not lost. notify_all() wakes everyone waiting now and stores nothing.
#ifndef BLITZ_NOTIFY_HPP
#define BLITZ_NOTIFY_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/sync_waiters.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>

#include <cstddef>
#include <mutex>
#include <utility>

namespace blitz {

class notify
{
public:
  using executor_type = io_context::executor_type;

  explicit notify(io_context& ctx) : ex_(ctx.get_executor()), waiters_(ctx.impl()) {}
  explicit notify(const executor_type& ex) : ex_(ex), waiters_(ex.context().impl()) {}
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;

  // Waiters still queued complete with operation_aborted.
  ~notify() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }

  // handler(error_code): success when notified, operation_aborted if cancelled first.
  template <class Handler>
  auto async_wait(Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code)>(
        [this](auto&& h) {
          using H = decltype(h);
          using op_t = detail::ec_op<detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          detail::completion_batch batch(waiters_);
          std::lock_guard<std::mutex> lock(mutex_);
          if (permit_)
          {
            permit_ = false;
            waiters_.ready_now(o, batch.done);
          }
          else
            waiters_.park(o);
        },
        handler);
  }

  void notify_one()
  {
    detail::completion_batch batch(waiters_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (waiters_.empty())
      permit_ = true;
    else
    {
      detail::result_op* o = waiters_.take();
      o->ec_ = boost::system::error_code();
      batch.done.push(o);
    }
  }

  // Returns how many waiters it woke.
  std::size_t notify_all()
  {
    return detail::wake_all_posted(waiters_, mutex_, boost::system::error_code());
  }

  // Every queued wait completes with operation_aborted; a stored permit stays.
  std::size_t cancel() { return detail::wake_all_posted(waiters_, mutex_, error::operation_aborted); }

private:
  executor_type ex_;
  // Guards waiters_ and permit_; no other lock is taken while it is held.
  std::mutex mutex_;
  detail::sync_waiters waiters_;
  bool permit_ = false;
};

} // namespace blitz

#endif
