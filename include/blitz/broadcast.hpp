// broadcast<T>: every value sent reaches every receiver (Tokio's broadcast, callback style).
//
//   blitz::broadcast<event> bus(ctx, 64);           // the last 64 values are kept
//   auto rx = bus.subscribe();                      // sees what is sent from now on
//   rx.async_receive([](const boost::system::error_code& ec, event e) { ... });
//   bus.send(e);
//
// - Each receiver gets the values sent after it subscribed, in order, one receive at a time
//   (a second receive while one is pending fails at once with already_started).
// - The sender never waits. A receiver that falls more than `capacity` values behind loses
//   the oldest: its next receive fails once with channel_lagged, and the one after gets
//   the oldest value still kept.
// - close(): receivers get what is left for them, then channel_closed; sends fail.
//   cancel() and destruction end pending receives with channel_cancelled, as does
//   destroying a receiver with its receive pending.
// - T must be copyable and default constructible; its copies and destructor run under the
//   broadcast's lock and must not call back into it. Thread-safe.
#ifndef BLITZ_BROADCAST_HPP
#define BLITZ_BROADCAST_HPP

#include <blitz/channel.hpp>
#include <blitz/channel_error.hpp>
#include <blitz/error.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

namespace blitz {

template <class T>
class broadcast
{
  // A receiver's place in the stream: the sequence number of the value it wants next, and
  // its pending receive (parked in waiting_), if any. Guarded by mutex_.
  struct position
  {
    std::uint64_t next = 0;
    detail::result_op* pending = nullptr;
  };

public:
  using executor_type = io_context::executor_type;
  using value_type = T;

  class receiver
  {
  public:
    receiver() = default;
    receiver(receiver&& o) noexcept : owner_(o.owner_), pos_(std::move(o.pos_)) { o.owner_ = nullptr; }
    receiver& operator=(receiver&& o) noexcept
    {
      if (this != &o)
      {
        leave();
        owner_ = o.owner_;
        pos_ = std::move(o.pos_);
        o.owner_ = nullptr;
      }
      return *this;
    }
    ~receiver() { leave(); }

    // handler(error_code, T): the next value; channel_lagged, channel_closed,
    // channel_cancelled or already_started with a value-initialised T.
    template <class Handler>
    void async_receive(Handler&& handler)
    {
      owner_->start_receive(*pos_, std::forward<Handler>(handler));
    }

  private:
    friend class broadcast;
    receiver(broadcast* owner, std::unique_ptr<position> pos) : owner_(owner), pos_(std::move(pos)) {}
    void leave() noexcept
    {
      if (owner_)
        owner_->leave(*pos_);
      owner_ = nullptr;
    }

    broadcast* owner_ = nullptr;
    std::unique_ptr<position> pos_;
  };

  broadcast(io_context& ctx, std::size_t capacity)
    : ex_(ctx.get_executor()), waiting_(ctx.impl()), capacity_(capacity ? capacity : 1)
  {
  }
  broadcast(const broadcast&) = delete;
  broadcast& operator=(const broadcast&) = delete;

  // Receivers must not outlive the broadcast; pending receives end with channel_cancelled.
  ~broadcast() { cancel(); }

  executor_type get_executor() const noexcept { return ex_; }

  receiver subscribe()
  {
    std::unique_ptr<position> pos(new position);
    std::lock_guard<std::mutex> lock(mutex_);
    pos->next = next_seq_;
    return receiver(this, std::move(pos));
  }

  // Keeps v for the receivers and hands it to those waiting. False once closed.
  bool send(T v)
  {
    detail::completion_batch batch(waiting_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_)
      return false;
    values_.push_back(std::move(v));
    ++next_seq_;
    if (values_.size() > capacity_)
    {
      values_.pop_front();
      ++first_seq_;
    }
    // Everyone parked was waiting for exactly this value. Each leaves the queue once its
    // copy is made, so a copy that throws leaves the rest waiting.
    while (!waiting_.empty())
    {
      waiter* w = static_cast<waiter*>(waiting_.front());
      w->value_ = values_.back();
      waiting_.take();
      position* p = static_cast<position*>(w->state_);
      ++p->next;
      p->pending = nullptr;
      w->ec_ = boost::system::error_code();
      batch.done.push(w);
    }
    return true;
  }

  void close()
  {
    detail::completion_batch batch(waiting_);
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
    finish_all_locked(batch.done, error::channel_closed);
  }

  std::size_t cancel()
  {
    detail::completion_batch batch(waiting_);
    std::lock_guard<std::mutex> lock(mutex_);
    return finish_all_locked(batch.done, error::channel_cancelled);
  }

private:
  // A pending receive: the value it gets, and the position it belongs to.
  struct waiter : detail::channel_waiter<T>
  {
    void* state_ = nullptr;

  protected:
    explicit waiter(detail::op::func_type f) : detail::channel_waiter<T>(f) {}
  };

  template <class Handler>
  class receive_op final : public waiter
  {
  public:
    template <class H>
    explicit receive_op(H&& h) : waiter(&receive_op::do_complete), handler_(std::forward<H>(h))
    {
    }

  private:
    static void do_complete(void* owner, detail::op* base)
    {
      receive_op* self = static_cast<receive_op*>(base);
      auto alloc = get_associated_allocator(self->handler_);
      Handler handler(std::move(self->handler_));
      boost::system::error_code ec = self->ec_;
      T value(std::move(self->value_));
      detail::delete_op_with(self, alloc);
      if (owner)
        detail::invoke_handler(handler, ec, std::move(value));
    }

    Handler handler_;
  };

  template <class Handler>
  void start_receive(position& p, Handler&& handler)
  {
    using op_t = receive_op<detail::decay_handler_t<Handler>>;
    op_t* o = detail::new_handler_op<op_t>(std::forward<Handler>(handler));
    detail::new_op_guard guard(o);
    detail::completion_batch batch(waiting_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (p.pending)
      o->ec_ = error::already_started;
    else if (p.next < first_seq_)
    {
      o->ec_ = error::channel_lagged;
      p.next = first_seq_;
    }
    else if (p.next < next_seq_)
    {
      o->value_ = values_[static_cast<std::size_t>(p.next - first_seq_)];
      ++p.next;
    }
    else if (!open_)
      o->ec_ = error::channel_closed;
    else
    {
      o->state_ = &p;
      p.pending = o;
      guard.release();
      waiting_.park(o);
      return;
    }
    guard.release();
    waiting_.ready_now(o, batch.done);
  }

  // A receiver goes away: its pending receive (if any) ends with channel_cancelled.
  void leave(position& p) noexcept
  {
    detail::completion_batch batch(waiting_);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!p.pending)
      return;
    // The queue is singly linked: rebuild it without this receive (rare: a receiver
    // destroyed while waiting).
    detail::op_queue keep;
    while (!waiting_.empty())
    {
      detail::result_op* o = waiting_.take();
      if (o == p.pending)
      {
        o->ec_ = error::channel_cancelled;
        batch.done.push(o);
        // Its unit of work moves with it to the completion (counted when parked).
      }
      else
        keep.push(o);
    }
    while (!keep.empty())
      waiting_.repark(keep.pop());
    p.pending = nullptr;
  }

  std::size_t finish_all_locked(detail::op_queue& done, const boost::system::error_code& ec)
  {
    std::size_t n = 0;
    while (!waiting_.empty())
    {
      waiter* w = static_cast<waiter*>(waiting_.take());
      static_cast<position*>(w->state_)->pending = nullptr;
      w->ec_ = ec;
      done.push(w);
      ++n;
    }
    return n;
  }

  executor_type ex_;
  // Guards everything below and every position; no other lock is taken while it is held,
  // and completions are posted after it is released.
  std::mutex mutex_;
  detail::sync_waiters waiting_;
  std::deque<T> values_;
  std::uint64_t first_seq_ = 0; // sequence number of values_.front()
  std::uint64_t next_seq_ = 0;  // of the next value sent
  std::size_t capacity_;
  bool open_ = true;
};

} // namespace blitz

#endif
