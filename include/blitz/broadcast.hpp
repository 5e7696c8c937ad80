// broadcast<T>: every value sent reaches every receiver (Tokio's broadcast, callback style).
//
//   blitz::broadcast<event> bus(ctx, 64);           // the last 64 values are kept
//   auto rx = bus.subscribe();                      // sees what is sent from now on
//   rx.async_receive([](const boost::system::error_code& ec, event e) { ... });
//   bus.send(e);
//
// - Each receiver gets the values sent after it subscribed, in order, one receive at a time:
//   a second receive while one is waiting fails at once with already_started (a receive
//   stops waiting when its value is handed over, before its handler runs).
// - The sender never waits. A receiver that falls more than `capacity` values behind loses
//   the oldest: its next receive fails once with channel_lagged, and the one after gets
//   the oldest value still kept.
// - close(), or the broadcast's destruction: receivers get what is left for them, then
//   channel_closed; sends fail. cancel() ends waiting receives with channel_cancelled, as
//   does destroying a receiver with its receive waiting.
// - Receivers share the broadcast's state, so either may be destroyed first. Receiving on a
//   default-constructed or moved-from receiver is not allowed.
// - T must be copyable and default constructible; its copies and destructor run under the
//   broadcast's lock and must not call back into it. Thread-safe.
#ifndef BLITZ_BROADCAST_HPP
#define BLITZ_BROADCAST_HPP

#include <blitz/async_result.hpp>
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
  // whether its receive is waiting. Guarded by the core's mutex.
  struct position
  {
    std::uint64_t next = 0;
    bool waiting = false;
  };

  // A waiting receive: the value it gets, and the position it belongs to.
  struct waiter : detail::channel_waiter<T>
  {
    position* pos = nullptr;

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
      if (!owner)
      {
        detail::delete_op_with(self, alloc); // destroyed, not completed: nothing moves
        return;
      }
      boost::system::error_code ec = self->ec_;
      T value = receive_op::take_and_free(self, alloc);
      detail::invoke_handler(handler, ec, std::move(value));
    }

    Handler handler_;
  };

  // What the broadcast and its receivers share.
  struct core
  {
    core(io_context::executor_type ex, detail::scheduler& s, std::size_t capacity)
      : ex(ex), waiting(s), capacity(capacity ? capacity : 1)
    {
    }

    // With mutex held: gives w the value at its position (or tells it it lagged).
    void fill_locked(waiter* w)
    {
      position& p = *w->pos;
      if (p.next < first_seq)
      {
        w->ec_ = error::channel_lagged;
        p.next = first_seq;
        return;
      }
      w->value_ = values[static_cast<std::size_t>(p.next - first_seq)];
      w->ec_ = boost::system::error_code();
      ++p.next;
    }

    std::size_t finish_all_locked(detail::op_queue& done, const boost::system::error_code& ec)
    {
      std::size_t n = 0;
      while (!waiting.empty())
      {
        waiter* w = static_cast<waiter*>(waiting.take());
        w->pos->waiting = false;
        w->ec_ = ec;
        done.push(w);
        ++n;
      }
      return n;
    }

    io_context::executor_type ex;
    // Guards everything below and every position; no other lock is taken while it is
    // held, and completions are posted after it is released.
    std::mutex mutex;
    detail::sync_waiters waiting;
    std::deque<T> values;
    std::uint64_t first_seq = 0; // sequence number of values.front()
    std::uint64_t next_seq = 0;  // of the next value sent
    std::size_t capacity;
    bool open = true;
  };

public:
  using executor_type = io_context::executor_type;
  using value_type = T;

  class receiver
  {
  public:
    receiver() = default;
    receiver(receiver&&) noexcept = default;
    receiver& operator=(receiver&& o) noexcept
    {
      if (this != &o)
      {
        leave();
        core_ = std::move(o.core_);
        pos_ = std::move(o.pos_);
      }
      return *this;
    }
    ~receiver() { leave(); }

    // handler(error_code, T): the next value; channel_lagged, channel_closed,
    // channel_cancelled or already_started with a value-initialised T.
    template <class Handler>
    auto async_receive(Handler&& handler)
    {
      return async_initiate<Handler, void(boost::system::error_code, T)>(
          [this](auto&& h) {
            using H = decltype(h);
            using op_t = receive_op<detail::decay_handler_t<H>>;
            core& c = *core_;
            op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
            detail::new_op_guard guard(o);
            detail::completion_batch batch(c.waiting);
            std::lock_guard<std::mutex> lock(c.mutex);
            o->pos = pos_.get();
            if (pos_->waiting)
              o->ec_ = error::already_started;
            else if (pos_->next < c.next_seq)
              c.fill_locked(o);
            else if (!c.open)
              o->ec_ = error::channel_closed;
            else
            {
              pos_->waiting = true;
              guard.release();
              c.waiting.park(o);
              return;
            }
            guard.release();
            c.waiting.ready_now(o, batch.done);
          },
          handler);
    }

  private:
    friend class broadcast;
    receiver(std::shared_ptr<core> c, std::unique_ptr<position> p)
      : core_(std::move(c)), pos_(std::move(p))
    {
    }

    // A waiting receive of this receiver ends with channel_cancelled.
    void leave() noexcept
    {
      if (!core_)
        return;
      core& c = *core_;
      {
        detail::completion_batch batch(c.waiting);
        std::lock_guard<std::mutex> lock(c.mutex);
        if (pos_->waiting)
        {
          // The queue is singly linked: rebuild it without this receive (rare: a receiver
          // destroyed while waiting). Matched by position, the op's own back-pointer.
          detail::op_queue keep;
          while (!c.waiting.empty())
          {
            waiter* w = static_cast<waiter*>(c.waiting.take());
            if (w->pos == pos_.get())
            {
              w->ec_ = error::channel_cancelled;
              batch.done.push(w); // its unit of work, counted when parked, goes with it
            }
            else
              keep.push(w);
          }
          while (!keep.empty())
            c.waiting.repark(keep.pop());
          pos_->waiting = false;
        }
      }
      core_.reset();
    }

    std::shared_ptr<core> core_;
    std::unique_ptr<position> pos_;
  };

  broadcast(io_context& ctx, std::size_t capacity)
    : core_(std::make_shared<core>(ctx.get_executor(), ctx.impl(), capacity))
  {
  }
  broadcast(const broadcast&) = delete;
  broadcast& operator=(const broadcast&) = delete;

  ~broadcast() { close(); }

  executor_type get_executor() const noexcept { return core_->ex; }

  receiver subscribe()
  {
    std::unique_ptr<position> pos(new position);
    std::lock_guard<std::mutex> lock(core_->mutex);
    pos->next = core_->next_seq;
    return receiver(core_, std::move(pos));
  }

  // Keeps v for the receivers and hands it to those waiting. False once closed. If a copy
  // throws, the value stands and the exception propagates; the receivers not yet served
  // stay waiting and get it (by sequence number) with the next send.
  bool send(T v)
  {
    core& c = *core_;
    detail::completion_batch batch(c.waiting);
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!c.open)
      return false;
    c.values.push_back(std::move(v));
    ++c.next_seq;
    if (c.values.size() > c.capacity)
    {
      c.values.pop_front();
      ++c.first_seq;
    }
    while (!c.waiting.empty())
    {
      waiter* w = static_cast<waiter*>(c.waiting.front());
      c.fill_locked(w);
      c.waiting.take();
      w->pos->waiting = false;
      batch.done.push(w);
    }
    return true;
  }

  // Receivers get what is left for them, then channel_closed; sends fail.
  void close()
  {
    core& c = *core_;
    detail::completion_batch batch(c.waiting);
    std::lock_guard<std::mutex> lock(c.mutex);
    c.open = false;
    // Whoever waits has nothing left: every value before next_seq was handed over.
    c.finish_all_locked(batch.done, error::channel_closed);
  }

  // Waiting receives end with channel_cancelled.
  std::size_t cancel()
  {
    core& c = *core_;
    detail::completion_batch batch(c.waiting);
    std::lock_guard<std::mutex> lock(c.mutex);
    return c.finish_all_locked(batch.done, error::channel_cancelled);
  }

private:
  std::shared_ptr<core> core_;
};

} // namespace blitz

#endif
