// Lock-free hand-over of ops from threads that are not running a scheduler.
//
// Producers push onto a Treiber stack (one CAS each, no lock); the consumer takes the whole
// stack with one exchange and reverses it, which restores FIFO order: every op pushed before
// the exchange comes out oldest first, every op pushed after it goes to the next batch. The
// consumer never needs the ABA protection a Treiber pop would, because it never pops single
// nodes off a live stack.
#ifndef BLITZ_DETAIL_INJECT_STACK_HPP
#define BLITZ_DETAIL_INJECT_STACK_HPP

#include <blitz/detail/op_queue.hpp>

#include <atomic>

namespace blitz {
namespace detail {

class inject_stack
{
public:
  // seq_cst: the push is one half of the sleep handshake (push, then read the sleeper
  // count; the sleeper raises its count, then checks empty()): with both sides seq_cst at
  // least one of them sees the other, so a post never goes unnoticed by a thread falling
  // asleep.
  void push(op* o) noexcept
  {
    op* head = head_.load(std::memory_order_relaxed);
    do
      o->inject_next_ = head;
    while (!head_.compare_exchange_weak(head, o, std::memory_order_seq_cst,
                                        std::memory_order_relaxed));
  }

  bool empty() const noexcept { return head_.load(std::memory_order_seq_cst) == nullptr; }

  // Appends every pushed op to q in push order. Acquire: the ops' contents (handlers),
  // written before their push, must be visible to the thread that runs them.
  void take_all(op_queue& q) noexcept
  {
    if (head_.load(std::memory_order_relaxed) == nullptr)
      return;
    op* stack = head_.exchange(nullptr, std::memory_order_acquire);
    op* fifo = nullptr;
    while (stack)
    {
      op* next = stack->inject_next_;
      stack->inject_next_ = fifo;
      fifo = stack;
      stack = next;
    }
    while (fifo)
    {
      op* next = fifo->inject_next_;
      q.push(fifo);
      fifo = next;
    }
  }

private:
  std::atomic<op*> head_{nullptr};
};

} // namespace detail
} // namespace blitz

#endif
