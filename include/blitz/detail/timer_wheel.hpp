// The scheduler's timer store: a hierarchical timing wheel (after Tokio's), holding every
// armed deadline -- steady_timer, system_timer, per-operation deadlines.
//
// Entries are intrusive (wheel_entry is embedded in the timer object) so insert, remove and
// expire never allocate. Not thread-safe: the owner serialises all calls (the scheduler holds
// its timer mutex).
//
// Contract in brief:
//   * insert/remove are O(1).
//   * expire(now) hands out exactly the entries with deadline_ns <= now, never earlier, ordered
//     by (deadline_ns, insertion order) within the call. Since each call hands out everything
//     that is due, the order across calls is the same order.
//   * next_expiry_ns(now) is a cheap lower bound on "earliest deadline - now": never late,
//     usually exact, never busy-loops (waking at the returned time always lets expire() make
//     progress: it either hands something out or cascades a slot, which sharpens the bound).
#ifndef BLITZ_DETAIL_TIMER_WHEEL_HPP
#define BLITZ_DETAIL_TIMER_WHEEL_HPP

#include <boost/assert.hpp>
#include <boost/intrusive/list.hpp>

#include <cstddef>
#include <cstdint>

namespace blitz {
namespace detail {

struct wheel_entry_tag;

// Tagged so that a timer object may also carry other (untagged) list hooks.
// safe_link: the hook knows whether it is linked and asserts if destroyed while linked.
using wheel_entry_hook = boost::intrusive::list_base_hook<
    boost::intrusive::tag<wheel_entry_tag>,
    boost::intrusive::link_mode<boost::intrusive::safe_link>>;

// One armed deadline. Embedded by value in the timer objects; the wheel never allocates.
//
// While linked() the entry must not move, be destroyed, or have deadline_ns changed.
struct wheel_entry : wheel_entry_hook
{
  // Absolute, on the steady clock (ns since its epoch). Set by the owner before insert().
  std::int64_t deadline_ns = 0;

  wheel_entry() noexcept = default;
  // Like the hook: a copy starts out unlinked; only the deadline is copied.
  wheel_entry(const wheel_entry& other) noexcept
    : wheel_entry_hook(), deadline_ns(other.deadline_ns)
  {
  }
  wheel_entry& operator=(const wheel_entry& other) noexcept
  {
    BOOST_ASSERT(!linked());
    deadline_ns = other.deadline_ns;
    return *this;
  }
  ~wheel_entry() = default;

  // True from insert() until remove() or until expire() hands the entry out. An entry that
  // expire() handed out is not linked() in this sense, but its hook sits in the caller's
  // wheel_entry_list until the caller pops it; it must be popped before the next insert().
  bool linked() const noexcept { return where_ != where_none; }

private:
  friend class timer_wheel;

  // Which of the wheel's lists holds the entry (needed to find the list for an O(1) erase).
  enum : std::uint8_t
  {
    // 0 .. num_levels-1: slots_[where_][slot_]
    where_pending = 0xfd, // pending_: inserted at or behind the current tick, not yet sorted
    where_due = 0xfe,     // due_: sorted, within one tick of being due
    where_none = 0xff
  };

  std::uint64_t seq_ = 0;  // insertion order, the tie-break among equal deadlines
  std::uint64_t tick_ = 0; // deadline in wheel ticks, rounded up
  std::uint8_t where_ = where_none;
  std::uint8_t slot_ = 0;
};

// The list type expire() appends to. constant_time_size<false>: no size member, so splicing
// ranges is O(1) and the wheel's 384 slot heads stay two pointers each.
using wheel_entry_list = boost::intrusive::list<wheel_entry,
    boost::intrusive::base_hook<wheel_entry_hook>,
    boost::intrusive::constant_time_size<false>>;

class timer_wheel
{
public:
  static constexpr std::int64_t tick_ns = 1000000; // 1 ms
  static constexpr unsigned bits_per_level = 6;
  static constexpr unsigned slots_per_level = 1u << bits_per_level; // 64: one bitmap word
  static constexpr unsigned num_levels = 6; // 6 * 6 = 36 bits of ticks: ~2.2 years per rotation

  // now_ns: the current steady-clock time. Ticks are counted from here.
  explicit timer_wheel(std::int64_t now_ns) noexcept;
  ~timer_wheel();
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // O(1). e must not be linked (nor still sit in an expire() output list). The deadline may
  // be in the past: then the entry is handed out by the next expire() call.
  void insert(wheel_entry& e) noexcept;
  // O(1). e must be linked() in this wheel.
  void remove(wheel_entry& e) noexcept;
  // O(1). to takes from's place (a timer object moved): from's deadline must have been
  // copied to it, and it keeps from's rank among equal deadlines. from leaves the wheel.
  void replace(wheel_entry& from, wheel_entry& to) noexcept;

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  // Unlinks every entry with deadline_ns <= now_ns and appends them to out, ordered by
  // (deadline_ns, insertion order). Entries with deadline_ns > now_ns stay. A now_ns smaller
  // than one passed before is treated as the largest one passed before.
  void expire(std::int64_t now_ns, wheel_entry_list& out) noexcept;
  // Unlinks every entry, due or not, and appends them to out in the same order. Unlike
  // expire(INT64_MAX), the wheel's "now" stays where it is, so entries inserted afterwards
  // still come due at their deadlines.
  void take_all(wheel_entry_list& out) noexcept;

  // Nanoseconds from now_ns until the earliest pending deadline: 0 if one is already due,
  // -1 if empty. Never later than the true earliest deadline. Exact, unless an entry was
  // removed from the slot that holds the earliest one (its recorded minimum is then stale);
  // then it may be early, and waking at that time and calling expire() cascades that slot,
  // after which the answer is exact again. O(levels), plus one pass over the top level's
  // occupancy word (at most 64 slots) when nothing is due within the lower levels' ~12 days.
  std::int64_t next_expiry_ns(std::int64_t now_ns) const noexcept;

private:
  // A slot that holds entries, and the first tick that slot stands for.
  struct expiration
  {
    // Initialised so optimisers can see every path defines them (g++ -O2 warns otherwise).
    unsigned level = 0;
    unsigned slot = 0;
    std::uint64_t tick = 0;
  };

  std::uint64_t tick_of(std::int64_t ns) const noexcept;
  std::int64_t tick_lower_bound_ns(std::uint64_t tick) const noexcept;
  std::uint64_t slot_start(unsigned level, unsigned slot) const noexcept;
  bool next_expiration(expiration& x) const noexcept;
  std::int64_t slot_lower_bound_ns(const expiration& x) const noexcept;
  void place(wheel_entry& e) noexcept;
  void advance_to(std::uint64_t target, wheel_entry_list& batch) noexcept;
  static void release_all(wheel_entry_list& l) noexcept;
  static bool due_before(const wheel_entry& a, const wheel_entry& b) noexcept;

  std::int64_t origin_ns_;  // tick 0
  std::int64_t now_ns_;     // largest now passed to expire() (or the constructor)
  std::uint64_t elapsed_ = 0; // ceil((now_ns_ - origin_ns_) / tick_ns): the wheel's "now"
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;

  std::uint64_t occupied_[num_levels];                  // bit s set <=> slots_[level][s] non-empty
  wheel_entry_list slots_[num_levels][slots_per_level];
  // Smallest deadline_ns ever put in the slot since it last became occupied. Removals leave
  // it stale, but only ever too small, which keeps next_expiry_ns a lower bound.
  std::int64_t slot_min_ns_[num_levels][slots_per_level];

  wheel_entry_list pending_;      // tick_ <= elapsed_ at insert; unsorted
  std::int64_t pending_min_ns_;   // min deadline in pending_ (too small after removals)
  wheel_entry_list due_;          // tick_ <= elapsed_, sorted by (deadline_ns, seq_)
};

} // namespace detail
} // namespace blitz

#endif
