// watch<T>: the latest value of something, and a wait for it to change (Tokio's watch,
// callback style). send() replaces the value and wakes every waiter; a waiter names the
// version it has seen and completes as soon as a newer one exists, with that value, so
// changes are never missed but intermediate ones may be skipped.
//
//   blitz::watch<config> cfg(ctx, initial);
//   std::uint64_t seen = cfg.version();
//   cfg.async_changed(seen, [&](const boost::system::error_code& ec, config c,
//                               std::uint64_t version) { seen = version; ... });
//
// close(): waiters (and later waits with nothing newer) get channel_closed; cancel() and
// destruction end waits with channel_cancelled. T must be copyable and default
// constructible (a failed wait passes a value-initialised T); its copies and destructor run
// under the watch's lock and must not call back into it. If a copy throws in send(), the
// new value stands and the exception propagates; waiters not yet served get it with the
// next send.
#ifndef BLITZ_WATCH_HPP
#define BLITZ_WATCH_HPP

#include <blitz/async_result.hpp>
#include <blitz/channel.hpp>
#include <blitz/channel_error.hpp>

#include <cstdint>
#include <mutex>
#include <utility>

namespace blitz {
namespace detail {

// A wait for a newer value: the value travels in value_, its version in bytes_ (a field
// every result_op has, so the watch fills it without knowing the handler's type).
template <class Handler, class T>
class watch_op final : public channel_waiter<T>
{
public:
  template <class H>
  explicit watch_op(H&& h) : channel_waiter<T>(&watch_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    watch_op* self = static_cast<watch_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    if (!owner)
    {
      delete_op_with(self, alloc); // destroyed, not completed: nothing moves
      return;
    }
    boost::system::error_code ec = self->ec_;
    std::uint64_t version = self->bytes_;
    T value = watch_op::take_and_free(self, alloc);
    invoke_handler(handler, ec, std::move(value), version);
  }

  Handler handler_;
};

} // namespace detail

template <class T>
class watch
{
public:
  using executor_type = io_context::executor_type;
  using value_type = T;

  // The initial value is version 0.
  watch(io_context& ctx, T initial)
    : ex_(ctx.get_executor()), waiters_(ctx.impl()), value_(std::move(initial))
  {
  }
  watch(const executor_type& ex, T initial)
    : ex_(ex), waiters_(ex.context().impl()), value_(std::move(initial))
  {
  }
  watch(const watch&) = delete;
  watch& operator=(const watch&) = delete;

  ~watch() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }

  // A copy of the current value, and its version.
  T get() const
  {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }
  std::uint64_t version() const
  {
    std::lock_guard<std::mutex> lock(mutex_);
    return version_;
  }

  // Replaces the value (a new version) and wakes every waiter with it. False once closed.
  bool send(T v)
  {
    detail::completion_batch batch(waiters_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_)
      return false;
    value_ = std::move(v);
    ++version_;
    // Each waiter leaves the queue once its copy is made: a copy that throws leaves the
    // rest waiting for the next send, and those already served are still posted.
    while (!waiters_.empty())
    {
      fill_locked(waiters_.front());
      batch.done.push(waiters_.take());
    }
    return true;
  }

  // handler(error_code, T value, std::uint64_t version): at once if the current version is
  // not `seen`, else at the next send; channel_closed once closed with nothing newer.
  template <class Handler>
  auto async_changed(std::uint64_t seen, Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code, T, std::uint64_t)>(
        [this, seen](auto&& h) {
          using H = decltype(h);
          using op_t = detail::watch_op<detail::decay_handler_t<H>, T>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          detail::new_op_guard guard(o);
          detail::completion_batch batch(waiters_);
          std::lock_guard<std::mutex> lock(mutex_);
          if (version_ != seen)
          {
            // Newer (or a version this watch never had): the current value at once.
            fill_locked(o);
            guard.release();
            waiters_.ready_now(o, batch.done);
          }
          else if (!open_)
          {
            o->ec_ = error::channel_closed;
            guard.release();
            waiters_.ready_now(o, batch.done);
          }
          else
          {
            guard.release();
            waiters_.park(o);
          }
        },
        handler);
  }

  void close()
  {
    detail::completion_batch batch(waiters_);
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
    waiters_.wake_all(batch.done, error::channel_closed);
  }

  std::size_t cancel() { return detail::wake_all_posted(waiters_, mutex_, error::channel_cancelled); }

private:
  // With mutex_ held: gives a waiter the current value and version.
  void fill_locked(detail::result_op* base)
  {
    auto* w = static_cast<detail::channel_waiter<T>*>(base);
    w->value_ = value_;
    w->ec_ = boost::system::error_code();
    w->bytes_ = static_cast<std::size_t>(version_);
  }

  executor_type ex_;
  // Guards everything below; no other lock is taken while it is held, and completions are
  // posted after it is released.
  mutable std::mutex mutex_;
  detail::sync_waiters waiters_;
  T value_;
  std::uint64_t version_ = 0;
  bool open_ = true;
};

} // namespace blitz

#endif
