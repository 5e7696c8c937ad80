// Chase-Lev work-stealing deque of pointers, with the C++11 memory orders of Lê, Pop, Cohen
// and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory Models" (PPoPP
// 2013), Fig. 1, in one respect strengthened (below).
//
// One owner pushes and takes at the bottom (LIFO: the task it just spawned is the one whose
// data is hot in its cache); any number of thieves steal at the top (FIFO: the oldest task,
// in divide-and-conquer the biggest remaining piece). Indices only grow (64-bit: no wrap in
// practice); the live elements are [top, bottom).
//
//   top_     thieves CAS it forward; the owner CASes it only to take the last element
//   bottom_  written by the owner only
//   ring_    the circular array; grown (doubled) by the owner when full
//
// The one change to the paper: it separates `bottom = b` and `t = top` in take(), and `t =
// top` and `b = bottom` in steal(), with atomic_thread_fence(seq_cst). Here those four
// accesses are seq_cst operations instead. Either way what matters is that they are all in
// the single total order S, which yields the property the algorithm needs: an owner taking
// and a thief stealing cannot both miss each other's update and take the same element.
// ThreadSanitizer models seq_cst operations but not standalone fences (GCC's -Wtsan rejects
// them), and on x86-64 the seq_cst store is one xchg where the paper's version costs a store
// plus an mfence, so nothing is lost.
//
// Grown arrays are never freed while the deque lives: a thief may still be reading an old
// one. Each is half the size of the next, so they add at most the size of the current one.
#ifndef BLITZ_DETAIL_WORK_STEALING_DEQUE_HPP
#define BLITZ_DETAIL_WORK_STEALING_DEQUE_HPP

#include <atomic>
#include <cstdint>
#include <memory>

namespace blitz {
namespace detail {

template <class T>
class work_stealing_deque
{
public:
  enum class steal_result
  {
    success,
    empty,
    lost_race // another thief or the owner got it: the deque may well hold more
  };

  explicit work_stealing_deque(unsigned log2_capacity = 8)
  {
    ring_.store(new ring(std::int64_t(1) << log2_capacity, nullptr), std::memory_order_relaxed);
  }
  work_stealing_deque(const work_stealing_deque&) = delete;
  work_stealing_deque& operator=(const work_stealing_deque&) = delete;
  ~work_stealing_deque()
  {
    ring* r = ring_.load(std::memory_order_relaxed);
    while (r)
    {
      ring* older = r->older;
      delete r;
      r = older;
    }
  }

  // Owner only.
  void push(T* x)
  {
    // Relaxed: only the owner writes bottom_.
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    // Acquire (paper): a slot freed by a steal may be overwritten only after that thief
    // has read it; the acquire pairs with the thief's CAS on top_.
    std::int64_t t = top_.load(std::memory_order_acquire);
    // Relaxed: only the owner replaces ring_.
    ring* a = ring_.load(std::memory_order_relaxed);
    if (b - t > a->capacity - 1)
      a = grow(a, t, b);
    // Relaxed: published by the release store of bottom_ below.
    a->slot(b).store(x, std::memory_order_relaxed);
    // Release (the paper's release fence + relaxed store): a thief that reads this bottom
    // also sees the element and everything the owner wrote into *x before pushing it.
    bottom_.store(b + 1, std::memory_order_release);
  }

  // Owner only. Returns nullptr when empty.
  T* take() noexcept
  {
    std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    ring* a = ring_.load(std::memory_order_relaxed);
    // seq_cst (paper: relaxed store + seq_cst fence): claim slot b before looking at top_,
    // so that a concurrent thief either sees the smaller bottom or we see its larger top.
    bottom_.store(b, std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    T* x = nullptr;
    if (t <= b)
    {
      // Relaxed: the owner wrote this slot itself.
      x = a->slot(b).load(std::memory_order_relaxed);
      if (t == b)
      {
        // The last element: race the thieves for it through top_, as they race each other.
        // seq_cst on success (paper); relaxed on failure: the element is simply gone.
        if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                          std::memory_order_relaxed))
          x = nullptr;
        // Release rather than the paper's relaxed: the paper's fence above already made
        // this store a release; a thief that reads it must still see the pushed elements.
        bottom_.store(b + 1, std::memory_order_release);
      }
    }
    else
    {
      bottom_.store(b + 1, std::memory_order_release); // empty: undo the claim
    }
    return x;
  }

  // Any thread.
  steal_result steal(T*& out) noexcept
  {
    // seq_cst (paper: acquire load + seq_cst fence): read top_ before bottom_, in S.
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    // seq_cst (paper: acquire after the fence); also the acquire that makes the element
    // pushed at index t visible.
    std::int64_t b = bottom_.load(std::memory_order_seq_cst);
    if (t >= b)
      return steal_result::empty;
    // Acquire (paper: consume): the ring the owner grew into, with the elements it copied.
    ring* a = ring_.load(std::memory_order_acquire);
    // Relaxed: may be stale if we lose the race below, in which case it is discarded.
    T* x = a->slot(t).load(std::memory_order_relaxed);
    // seq_cst (paper): the one step that decides who owns element t.
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                      std::memory_order_relaxed))
      return steal_result::lost_race;
    out = x;
    return steal_result::success;
  }

  // Any thread; a hint only (the answer may change before the caller acts on it).
  bool looks_empty() const noexcept
  {
    return bottom_.load(std::memory_order_relaxed) <= top_.load(std::memory_order_relaxed);
  }

private:
  struct ring
  {
    ring(std::int64_t cap, ring* old)
      : capacity(cap), mask(cap - 1), slots(new std::atomic<T*>[static_cast<std::size_t>(cap)]()),
        older(old)
    {
    }
    std::atomic<T*>& slot(std::int64_t i) noexcept { return slots[static_cast<std::size_t>(i & mask)]; }

    const std::int64_t capacity;
    const std::int64_t mask;
    std::unique_ptr<std::atomic<T*>[]> slots;
    ring* const older;
  };

  ring* grow(ring* a, std::int64_t t, std::int64_t b)
  {
    ring* bigger = new ring(a->capacity * 2, a);
    for (std::int64_t i = t; i < b; ++i)
      bigger->slot(i).store(a->slot(i).load(std::memory_order_relaxed), std::memory_order_relaxed);
    // Release: a thief that loads the new ring (acquire) sees the copied elements.
    ring_.store(bigger, std::memory_order_release);
    return bigger;
  }

  // Thieves write top_, the owner writes bottom_: separate cache lines.
  std::atomic<std::int64_t> top_{0};
  char pad0_[64 - sizeof(std::atomic<std::int64_t>)] __attribute__((unused));
  std::atomic<std::int64_t> bottom_{0};
  std::atomic<ring*> ring_{nullptr};
  char pad1_[64 - sizeof(std::atomic<std::int64_t>) - sizeof(std::atomic<ring*>)] __attribute__((unused));
};

} // namespace detail
} // namespace blitz

#endif
