// Lock-free hand-over of ops from threads that are not running a scheduler.
//
// Producers push onto a Treiber stack (one CAS each, no lock); the consumer takes the whole
// stack with one exchange and reverses it, which restores FIFO order: every op pushed before
// the exchange comes out oldest first, every op pushed after it goes to the next batch. The
// consumer never needs the ABA protection a Treiber pop would, because it never pops single
// nodes off a live stack.
//
// A push can mark its op as carrying one unit of the scheduler's work count (a posted
// handler, whose unit the poster did not add): the mark is the low bit of the link, free
// because ops are pointer-aligned, and take_all counts the marked ops it hands over. The
// poster thereby touches no line but the stack's.
#ifndef BLITZ_DETAIL_INJECT_STACK_HPP
#define BLITZ_DETAIL_INJECT_STACK_HPP

#include <blitz/detail/op_queue.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace blitz {
namespace detail {

class inject_stack
{
  // How far ahead the two walks over a batch prefetch: enough misses in flight to hide
  // most of a memory access behind the work on the ops in between.
  static constexpr std::size_t prefetch_distance = 8;

public:
  // seq_cst: the push is one half of the sleep handshake (push, then read the sleeper
  // count; the sleeper raises its count, then checks empty()) and of the out-of-work check
  // (see scheduler::out_of_work): with both sides seq_cst at least one of them sees the
  // other, so a post never goes unnoticed by a thread falling asleep or stopping.
  void push(op* o, bool carries_work) noexcept
  {
    // The op this thread pushed prefetch_distance pushes ago, which lies about that far down
    // the stack while one thread posts in a loop: take_all's walk, which can only go one op
    // at a time, fetches it ahead instead of waiting for every miss in turn.
    struct recent_pushes
    {
      op* ops[prefetch_distance];
      std::size_t count;
    };
    static thread_local recent_pushes recent{};
    std::size_t slot = recent.count++ % prefetch_distance;
    op_queue::set_spare_link(o, recent.ops[slot]);
    recent.ops[slot] = o;
    const std::uintptr_t mark = carries_work ? 1 : 0;
    op* head = head_.load(std::memory_order_relaxed);
    do
      o->inject_next_ = reinterpret_cast<op*>(reinterpret_cast<std::uintptr_t>(head) | mark);
    while (!head_.compare_exchange_weak(head, o, std::memory_order_seq_cst,
                                        std::memory_order_relaxed));
  }

  bool empty() const noexcept { return head_.load(std::memory_order_seq_cst) == nullptr; }
  // Relaxed: a hint, for a caller that acts on it only through take_all's exchange.
  bool maybe_nonempty() const noexcept
  {
    return head_.load(std::memory_order_relaxed) != nullptr;
  }

  // Appends every pushed op to q in push order and returns how many carry work.
  // Acquire: the ops' contents (handlers), written before their push, must be visible to
  // the thread that runs them. seq_cst rather than acquire alone: the exchange is part of
  // the out-of-work check (the taker raises the work count before it).
  //
  // One pass: walking the stack from the newest op and pushing each to the front of a list
  // yields oldest first, and touches every op once. A batch can be far larger than the
  // cache (a producer that outruns its consumer), so the run loop, which touches them
  // again, would miss on every op but for the hints left behind (run_hint).
  std::size_t take_all(op_queue& q) noexcept
  {
    op* stack = head_.exchange(nullptr, std::memory_order_seq_cst);
    op_queue fifo;
    std::size_t carrying = 0;
    op* walked[prefetch_distance] = {};
    std::size_t i = 0;
    while (stack)
    {
      // For writing: this walk rewrites every op's links, and the ops were just written
      // by the posting thread, so a read-only fetch would leave a second miss per op.
      __builtin_prefetch(op_queue::spare_link(stack), 1);
      std::uintptr_t link = reinterpret_cast<std::uintptr_t>(stack->inject_next_);
      carrying += link & 1;
      // The op walked prefetch_distance steps ago runs that many places after this one:
      // the link, free from here on, becomes the run loop's prefetch hint (run_hint).
      stack->inject_next_ = walked[i % prefetch_distance];
      walked[i % prefetch_distance] = stack;
      ++i;
      fifo.push_front(stack);
      stack = reinterpret_cast<op*>(link & ~std::uintptr_t(1));
    }
    q.push(fifo);
    return carrying;
  }

  // An op that will run a few handlers after o, worth prefetching while o runs; null or
  // stale (any op, even a freed one: a prefetch never faults) when o did not come from
  // take_all.
  static op* run_hint(const op* o) noexcept { return o->inject_next_; }

private:
  std::atomic<op*> head_{nullptr};
};

} // namespace detail
} // namespace blitz

#endif
