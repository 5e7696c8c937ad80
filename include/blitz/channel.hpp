// channel<T>: a bounded multi-producer, multi-consumer queue of values between handlers
// (Tokio's mpsc/async-channel, callback style; error names from Asio's experimental
// channel).
//
//   blitz::channel<std::string> ch(ctx, 16);        // up to 16 values buffered
//   ch.async_send("job", [](const boost::system::error_code& ec) { ... });
//   ch.async_receive([](const boost::system::error_code& ec, std::string v) { ... });
//
// - A send completes once its value is in the buffer or in a receiver's hands; with the
//   buffer full it waits (backpressure). Capacity 0 is a rendezvous: a send completes only
//   when a receiver takes the value.
// - Values are received in the order their sends were accepted, each by exactly one
//   receiver; receivers are served in arrival order.
// - close(): no further sends (they, and sends still waiting, fail with channel_closed; a
//   failed send destroys its value). Receivers drain what is buffered, then get
//   channel_closed.
// - cancel() and destruction: every waiting send and receive fails with channel_cancelled;
//   the buffer is kept (cancel) or destroyed (destruction).
// - A failed receive passes a value-initialised T, as Asio does: T must be default
//   constructible and movable. try_send copies an lvalue and moves an rvalue.
// - T's copies, moves and destructor run under the channel's lock: they must not call
//   back into the same channel.
// - The primitives take no cancellation slot: cancel() (or close()) ends waits.
// Thread-safe; handlers run through their associated executor, never inside the call that
// started or woke them.
#ifndef BLITZ_CHANNEL_HPP
#define BLITZ_CHANNEL_HPP

#include <blitz/async_result.hpp>
#include <blitz/channel_error.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/slab_pool.hpp>
#include <blitz/detail/sync_waiters.hpp>
#include <blitz/io_context.hpp>

#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace blitz {
namespace detail {

// A waiting send (holding the value it offers) or receive (where the value goes).
template <class T>
class channel_waiter : public result_op
{
public:
  T value_;

  // For an op's completion: moves the value out and frees the op (before the handler runs,
  // as every op does), freeing it even if the move throws.
  template <class Op, class Alloc>
  static T take_and_free(Op* self, const Alloc& alloc)
  {
    struct freer
    {
      Op* o;
      const Alloc& a;
      ~freer() { delete_op_with(o, a); }
    } f{self, alloc};
    return T(std::move(self->value_));
  }

protected:
  template <class... Args>
  channel_waiter(func_type f, Args&&... args) : result_op(f), value_(std::forward<Args>(args)...)
  {
  }
  ~channel_waiter() = default;
};

template <class Handler, class T>
class channel_send_op final : public channel_waiter<T>
{
public:
  template <class V, class H>
  channel_send_op(V&& v, H&& h)
    : channel_waiter<T>(&channel_send_op::do_complete, std::forward<V>(v)),
      handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    channel_send_op* self = static_cast<channel_send_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    delete_op_with(self, alloc);
    if (owner)
      invoke_handler(handler, ec);
  }

  Handler handler_;
};

template <class Handler, class T>
class channel_receive_op final : public channel_waiter<T>
{
public:
  template <class H>
  explicit channel_receive_op(H&& h)
    : channel_waiter<T>(&channel_receive_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    channel_receive_op* self = static_cast<channel_receive_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    if (!owner)
    {
      // Destroyed, not completed: nothing moves (destruction paths are noexcept).
      delete_op_with(self, alloc);
      return;
    }
    boost::system::error_code ec = self->ec_;
    T value = channel_receive_op::take_and_free(self, alloc);
    invoke_handler(handler, ec, std::move(value));
  }

  Handler handler_;
};

} // namespace detail

template <class T>
class channel
{
  using waiter = detail::channel_waiter<T>;

public:
  using executor_type = io_context::executor_type;
  using value_type = T;

  channel(io_context& ctx, std::size_t capacity)
    : ex_(ctx.get_executor()), senders_(ctx.impl()), receivers_(ctx.impl()), capacity_(capacity)
  {
  }
  channel(const executor_type& ex, std::size_t capacity)
    : ex_(ex), senders_(ex.context().impl()), receivers_(ex.context().impl()),
      capacity_(capacity)
  {
  }
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  ~channel() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }
  std::size_t capacity() const noexcept { return capacity_; }

  // Values buffered now.
  std::size_t size() const
  {
    std::lock_guard<std::mutex> lock(mutex_);
    return buffer_.size();
  }

  bool is_open() const
  {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
  }

  // Puts v in the buffer or a waiting receiver's hands if that can be done now; otherwise
  // (full, or closed) returns false and leaves v as it was.
  template <class V>
  bool try_send(V&& v)
  {
    detail::completion_batch batch(receivers_);
    std::lock_guard<std::mutex> lock(mutex_);
    return open_ && offer_locked(std::forward<V>(v), batch.done);
  }

  // handler(error_code): success once v is buffered or received, channel_closed if the
  // channel is or gets closed first, channel_cancelled on cancel() or destruction.
  template <class V, class Handler>
  auto async_send(V&& v, Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code)>(
        [this](auto&& h, auto&& v) {
          using H = decltype(h);
          using op_t = detail::channel_send_op<detail::decay_handler_t<H>, T>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h), std::forward<decltype(v)>(v));
          detail::new_op_guard guard(o);
          detail::completion_batch batch(senders_);
          std::lock_guard<std::mutex> lock(mutex_);
          if (!open_)
          {
            o->ec_ = error::channel_closed;
            guard.release();
            senders_.ready_now(o, batch.done);
          }
          else if (offer_locked(std::move(o->value_), batch.done))
          {
            guard.release();
            senders_.ready_now(o, batch.done);
          }
          else
          {
            guard.release();
            senders_.park(o);
          }
        },
        handler, std::forward<V>(v));
  }

  // Takes the next value if one is there now.
  bool try_receive(T& out)
  {
    detail::completion_batch batch(senders_);
    std::lock_guard<std::mutex> lock(mutex_);
    return take_locked(out, batch.done);
  }

  // handler(error_code, T): the next value; channel_closed once the channel is closed and
  // drained, channel_cancelled on cancel() or destruction (with a value-initialised T).
  template <class Handler>
  auto async_receive(Handler&& handler)
  {
    return async_initiate<Handler, void(boost::system::error_code, T)>(
        [this](auto&& h) {
          using H = decltype(h);
          using op_t = detail::channel_receive_op<detail::decay_handler_t<H>, T>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          detail::new_op_guard guard(o);
          detail::completion_batch batch(receivers_);
          std::lock_guard<std::mutex> lock(mutex_);
          bool got = take_locked(o->value_, batch.done);
          guard.release();
          if (got)
            receivers_.ready_now(o, batch.done);
          else if (!open_)
          {
            o->ec_ = error::channel_closed;
            receivers_.ready_now(o, batch.done);
          }
          else
            receivers_.park(o);
        },
        handler);
  }

  // No more sends. Waiting sends fail with channel_closed; receivers get what is buffered,
  // then channel_closed.
  void close()
  {
    detail::completion_batch batch(senders_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_)
      return;
    open_ = false;
    senders_.wake_all(batch.done, error::channel_closed);
    // Receivers wait only while the buffer is empty: nothing more will come for them.
    receivers_.wake_all(batch.done, error::channel_closed);
  }

  // Every waiting send and receive fails with channel_cancelled; buffered values stay.
  std::size_t cancel()
  {
    detail::completion_batch batch(senders_);
    std::lock_guard<std::mutex> lock(mutex_);
    return senders_.wake_all(batch.done, error::channel_cancelled) +
           receivers_.wake_all(batch.done, error::channel_cancelled);
  }

private:
  // With mutex_ held and the channel open: hands v to the longest-waiting receiver, or
  // buffers it if there is room (copying an lvalue, moving an rvalue). A waiter leaves its
  // queue only once its value is in place, so a T that throws meanwhile loses no op.
  template <class V>
  bool offer_locked(V&& v, detail::op_queue& done)
  {
    if (!receivers_.empty())
    {
      waiter* r = static_cast<waiter*>(receivers_.front());
      r->value_ = std::forward<V>(v);
      receivers_.take();
      r->ec_ = boost::system::error_code();
      done.push(r);
      return true;
    }
    if (buffer_.size() < capacity_)
    {
      buffer_.push_back(std::forward<V>(v));
      return true;
    }
    return false;
  }

  // With mutex_ held: the next value, from the buffer (refilled from the longest-waiting
  // send) or, on a rendezvous channel, straight from a waiting send.
  bool take_locked(T& out, detail::op_queue& done)
  {
    if (!buffer_.empty())
    {
      // Refill first (briefly one over capacity, which offer_locked tolerates): if that
      // throws, nothing has been taken yet.
      if (!senders_.empty())
      {
        waiter* s = static_cast<waiter*>(senders_.front());
        buffer_.push_back(std::move(s->value_));
        senders_.take();
        s->ec_ = boost::system::error_code();
        done.push(s);
      }
      out = std::move(buffer_.front());
      buffer_.pop_front();
      return true;
    }
    if (!senders_.empty())
    {
      waiter* s = static_cast<waiter*>(senders_.front());
      out = std::move(s->value_);
      senders_.take();
      s->ec_ = boost::system::error_code();
      done.push(s);
      return true;
    }
    return false;
  }

  executor_type ex_;
  // Guards everything below; no other lock is taken while it is held, and completions are
  // posted after it is released.
  mutable std::mutex mutex_;
  detail::sync_waiters senders_;
  detail::sync_waiters receivers_;
  std::deque<T> buffer_;
  std::size_t capacity_;
  bool open_ = true;
};

} // namespace blitz

#endif
