// The strand's queue: an intrusive multi-producer, single-consumer FIFO (Vyukov's
// algorithm). Pushing is one atomic exchange and never waits; popping never allocates.
//
//   producer_end_ --> newest item          consumer_ --> oldest item (or the stub)
//   oldest --next--> ... --next--> newest --next--> nullptr
//
// A producer first swings producer_end_ to its item, then links the previous end to it.
// Between those two steps the chain is broken: the consumer sees an item it cannot reach yet
// and reports `busy` rather than spin (the strand then yields its thread and comes back).
// The stub is a dummy item that stands in when the queue is empty, so producer_end_ is never
// null and a popped item is never referenced by the queue again (its memory can be reused).
//
// Items are strand_items, not ops: a 16-byte header (the atomic link and one completion
// function) instead of the op's 48, so a posted lambda with a few captures fits the 64-byte
// slab class. The op base's own hook could not serve anyway: this link is read by one
// thread while another writes it, so it has to be atomic.
#ifndef BLITZ_DETAIL_STRAND_QUEUE_HPP
#define BLITZ_DETAIL_STRAND_QUEUE_HPP

#include <blitz/detail/handler_arena.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/op.hpp>

#include <atomic>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

class strand_item
{
public:
  // owner == nullptr: destroy without invoking, as for op.
  using func_type = void (*)(void* owner, strand_item* self);

  void complete(void* owner) { func_(owner, this); }
  void destroy() { func_(nullptr, this); }

protected:
  explicit strand_item(func_type f) noexcept : func_(f) {}
  ~strand_item() = default;

private:
  friend class strand_queue;
  std::atomic<strand_item*> strand_next_{nullptr};
  func_type func_;
};

// A handler posted to a strand: invoked with no arguments. Like post_op, the handler is
// moved out and the memory freed before the call. Memory: the handler's own allocator if
// it has one, else the handler arena (see handler_arena.hpp for why not the slab pool).
template <class Handler>
class strand_post_op final : public strand_item
{
public:
  template <class H>
  explicit strand_post_op(H&& h)
    : strand_item(&strand_post_op::do_complete), handler_(std::forward<H>(h))
  {
  }

  template <class H>
  static strand_post_op* create(H&& h)
  {
    auto alloc = get_associated_allocator(h);
    return new_item_with<strand_post_op>(alloc, std::forward<H>(h));
  }

private:
  static void do_complete(void* owner, strand_item* base)
  {
    strand_post_op* self = static_cast<strand_post_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    delete_item_with(self, alloc);
    if (owner)
      handler();
  }

  Handler handler_;
};

// An op that can wait in any of blitz's queues: an io_context's or a thread_pool's (as an
// op) or a strand's (as a strand_item). Used where one block travels between executors
// (offload, parallel_for) and for a strand's own runner (which may run on another strand).
class dual_op : public op, public strand_item
{
protected:
  dual_op(op::func_type f, strand_item::func_type g) noexcept : op(f), strand_item(g) {}
  ~dual_op() = default;
};

// Routes both completion functions to Derived::do_complete(void* owner, Derived*).
template <class Derived>
class dual_op_base : public dual_op
{
protected:
  dual_op_base() noexcept : dual_op(&from_op, &from_item) {}
  ~dual_op_base() = default;

private:
  static void from_op(void* owner, op* b) { Derived::do_complete(owner, static_cast<Derived*>(b)); }
  static void from_item(void* owner, strand_item* b)
  {
    Derived::do_complete(owner, static_cast<Derived*>(b));
  }
};

class strand_queue
{
public:
  strand_queue() noexcept : producer_end_(&stub_), consumer_(&stub_) {}
  strand_queue(const strand_queue&) = delete;
  strand_queue& operator=(const strand_queue&) = delete;

  // Any thread.
  void push(strand_item* o) noexcept
  {
    // Relaxed: o is not reachable by anyone until the exchange below publishes it.
    o->strand_next_.store(nullptr, std::memory_order_relaxed);
    // seq_cst: besides ordering this push before the link store, it is one half of the
    // strand's idle handshake (see strand_core::run): a producer's exchange here and its
    // later load of `scheduled`, against the consumer's store of `scheduled` and its later
    // load of producer_end_, must not both miss each other.
    strand_item* prev = producer_end_.exchange(o, std::memory_order_seq_cst);
    // Release: the consumer reaches o through this link; everything written to o (its
    // handler) before the push must be visible to it.
    prev->strand_next_.store(o, std::memory_order_release);
  }

  // Consumer only. Returns the oldest op, or nullptr with busy set when an op is queued but
  // not linked yet (a producer is between its two steps), or nullptr when empty.
  strand_item* pop(bool& busy) noexcept
  {
    busy = false;
    strand_item* c = consumer_;
    // Acquire: pairs with the producer's release link store, making the op's contents
    // visible before it runs.
    strand_item* next = c->strand_next_.load(std::memory_order_acquire);
    if (c == &stub_)
    {
      if (!next)
      {
        busy = producer_end_.load(std::memory_order_acquire) != &stub_;
        return nullptr;
      }
      consumer_ = c = next;
      next = next->strand_next_.load(std::memory_order_acquire);
    }
    if (next)
    {
      consumer_ = next;
      return c;
    }
    // c is the last linked op. Acquire is enough: this only decides whether to wait.
    if (producer_end_.load(std::memory_order_acquire) != c)
    {
      busy = true;
      return nullptr;
    }
    // Put the stub behind c so c can leave the queue with nothing pointing at it.
    push(&stub_);
    next = c->strand_next_.load(std::memory_order_acquire);
    if (next)
    {
      consumer_ = next;
      return c;
    }
    busy = true; // another producer slipped in between c and the stub
    return nullptr;
  }

  // Consumer only: nothing queued, not even half-pushed.
  bool empty() const noexcept
  {
    return consumer_ == &stub_ && !stub_.strand_next_.load(std::memory_order_acquire) &&
           producer_end_.load(std::memory_order_acquire) == &stub_;
  }

  // Any thread, after the consumer found the queue empty: whether a push has started since.
  // seq_cst: the consumer's half of the idle handshake described in push().
  bool pushed_since_empty() const noexcept
  {
    return producer_end_.load(std::memory_order_seq_cst) != &stub_;
  }

private:
  struct stub_item final : strand_item
  {
    stub_item() noexcept : strand_item(&never_completed) {}
    static void never_completed(void*, strand_item*) {}
  };

  // Written by every producer; kept apart from the consumer's fields so that posting
  // threads and the thread running the strand do not share a cache line for them.
  std::atomic<strand_item*> producer_end_;
  char pad_[64 - sizeof(std::atomic<strand_item*>)] __attribute__((unused));
  strand_item* consumer_;
  stub_item stub_;
};

} // namespace detail
} // namespace blitz

#endif
