// async_rwlock: shared (read) and exclusive (write) locking for handlers, without blocking a
// thread (Tokio's RwLock, callback style).
//
// First come, first served across both kinds: a reader that arrives while a writer waits
// queues behind it, so a steady stream of readers cannot starve writers; consecutive
// readers at the head of the queue are let in together.
#ifndef BLITZ_ASYNC_RWLOCK_HPP
#define BLITZ_ASYNC_RWLOCK_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/sync_waiters.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

namespace blitz {

class async_rwlock
{
public:
  using executor_type = io_context::executor_type;

  explicit async_rwlock(io_context& ctx)
    : ex_(ctx.get_executor()), readers_(ctx.impl()), writers_(ctx.impl())
  {
  }
  explicit async_rwlock(const executor_type& ex)
    : ex_(ex), readers_(ex.context().impl()), writers_(ex.context().impl())
  {
  }
  async_rwlock(const async_rwlock&) = delete;
  async_rwlock& operator=(const async_rwlock&) = delete;

  // Waiters still queued complete with operation_aborted.
  ~async_rwlock() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }

  bool try_read_lock()
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (writing_ || !readers_.empty() || !writers_.empty())
      return false;
    ++reading_;
    return true;
  }

  bool try_write_lock()
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (writing_ || reading_ > 0 || !readers_.empty() || !writers_.empty())
      return false;
    writing_ = true;
    return true;
  }

  // handler(error_code): success once the caller shares the lock.
  template <class Handler>
  auto async_read_lock(Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code)>(
        [this](auto&& h) {
          using H = decltype(h);
          start(readers_, std::forward<H>(h));
        },
        handler);
  }

  // handler(error_code): success once the caller holds the lock alone.
  template <class Handler>
  auto async_write_lock(Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code)>(
        [this](auto&& h) {
          using H = decltype(h);
          start(writers_, std::forward<H>(h));
        },
        handler);
  }

  void read_unlock()
  {
    detail::completion_batch batch(readers_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (reading_ > 0)
      --reading_;
    grant_locked(batch.done);
  }

  void write_unlock()
  {
    detail::completion_batch batch(readers_);
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    grant_locked(batch.done);
  }

  // Every queued locker completes with operation_aborted; holders keep the lock.
  std::size_t cancel()
  {
    detail::completion_batch batch(readers_);
    std::lock_guard<std::mutex> lock(mutex_);
    return readers_.wake_all(batch.done, error::operation_aborted) +
           writers_.wake_all(batch.done, error::operation_aborted);
  }

private:
  template <class Handler>
  void start(detail::sync_waiters& queue, Handler&& handler)
  {
    using op_t = detail::ec_op<detail::decay_handler_t<Handler>>;
    op_t* o = detail::new_handler_op<op_t>(std::forward<Handler>(handler));
    detail::completion_batch batch(readers_);
    std::lock_guard<std::mutex> lock(mutex_);
    // A parked locker's place in the common order of arrival, kept in its (otherwise
    // unused) byte count: the two queues are merged by it.
    o->bytes_ = next_ticket_++;
    queue.park(o);
    grant_locked(batch.done);
  }

  // With mutex_ held: lets in whoever is first in arrival order while the lock allows it.
  void grant_locked(detail::op_queue& done)
  {
    for (;;)
    {
      bool reader_first =
          !readers_.empty() && (writers_.empty() || readers_.front()->bytes_ < writers_.front()->bytes_);
      if (reader_first)
      {
        if (writing_)
          return;
        ++reading_;
        detail::result_op* o = readers_.take();
        o->bytes_ = 0;
        done.push(o);
        continue;
      }
      if (writers_.empty() || writing_ || reading_ > 0)
        return;
      writing_ = true;
      detail::result_op* o = writers_.take();
      o->bytes_ = 0;
      done.push(o);
      return;
    }
  }

  executor_type ex_;
  // Guards everything below; no other lock is taken while it is held, and completions are
  // posted after it is released.
  std::mutex mutex_;
  detail::sync_waiters readers_;
  detail::sync_waiters writers_;
  std::size_t reading_ = 0;
  bool writing_ = false;
  std::uint64_t next_ticket_ = 0;
};

} // namespace blitz

#endif
