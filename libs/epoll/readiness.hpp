// Packed readiness of one descriptor, after Tokio's ScheduledIo.
//
//   bit  31       23        16                5    4    3    2    1    0
//       [shutdown][ unused ][    tick (8)    ][ ...][ERR][WCL][RCL][ W ][ R ]
//
// The reaper ORs in what each epoll event reports and bumps the tick. An operation that got
// EAGAIN clears its direction only if the tick is still the one it read before its syscall:
// otherwise an event arrived in between and its readiness must survive (clearing it would
// lose an edge that edge-triggered epoll will never report again).
#ifndef BLITZ_LIBS_EPOLL_READINESS_HPP
#define BLITZ_LIBS_EPOLL_READINESS_HPP

#include <atomic>
#include <cstdint>

namespace blitz {
namespace detail {

class readiness
{
public:
  static constexpr std::uint32_t readable = 1u << 0;
  static constexpr std::uint32_t writable = 1u << 1;
  static constexpr std::uint32_t read_closed = 1u << 2;
  static constexpr std::uint32_t write_closed = 1u << 3;
  static constexpr std::uint32_t error = 1u << 4;
  static constexpr std::uint32_t priority = 1u << 5;
  static constexpr std::uint32_t ready_mask = 0x3f;
  static constexpr std::uint32_t tick_shift = 16;
  static constexpr std::uint32_t tick_mask = 0xffu << tick_shift;
  static constexpr std::uint32_t shutdown_bit = 1u << 31;

  // A fresh descriptor is assumed ready both ways, so the first operation tries its
  // syscall instead of waiting for an edge that may have fired before registration.
  readiness() noexcept : state_(readable | writable) {}

  std::uint32_t load() const noexcept
  {
    // Acquire pairs with the release in set(): seeing the tick of an event implies seeing
    // the kernel state that event reported (the op's retry then observes the data).
    return state_.load(std::memory_order_acquire);
  }

  static std::uint8_t tick_of(std::uint32_t s) noexcept
  {
    return static_cast<std::uint8_t>((s & tick_mask) >> tick_shift);
  }

  // Reaper: merge an event's readiness and advance the tick.
  void set(std::uint32_t bits) noexcept
  {
    std::uint32_t cur = state_.load(std::memory_order_relaxed);
    for (;;)
    {
      std::uint32_t tick = (tick_of(cur) + 1u) & 0xffu;
      std::uint32_t next = (cur & ~tick_mask) | (tick << tick_shift) | (bits & ready_mask);
      // Release: publishes the event to ops that load() the new tick.
      if (state_.compare_exchange_weak(cur, next, std::memory_order_release,
                                       std::memory_order_relaxed))
        return;
    }
  }

  // Op that got EAGAIN: forget `bits` unless an event arrived since `seen` was loaded.
  // Returns false when the tick moved (the caller retries its syscall). Closed and error
  // bits are never cleared: those conditions do not go away.
  bool clear(std::uint32_t bits, std::uint32_t seen) noexcept
  {
    bits &= readable | writable | priority;
    std::uint32_t cur = state_.load(std::memory_order_relaxed);
    for (;;)
    {
      if (tick_of(cur) != tick_of(seen))
        return false;
      std::uint32_t next = cur & ~bits;
      // acq_rel: a failed exchange must see the newer event's tick (acquire); success
      // orders nothing else, but matching set()'s release keeps one model for the word.
      if (state_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                       std::memory_order_relaxed))
        return true;
    }
  }

  void shutdown() noexcept
  {
    // Release: ops that observe the bit also observe the deregistration before it.
    state_.fetch_or(shutdown_bit, std::memory_order_release);
  }

private:
  std::atomic<std::uint32_t> state_;
};

} // namespace detail
} // namespace blitz

#endif
