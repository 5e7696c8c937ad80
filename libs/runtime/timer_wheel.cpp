// Hierarchical timing wheel. See include/blitz/detail/timer_wheel.hpp for the contract.
//
// Time and ticks
// --------------
// The wheel counts time in ticks of 1 ms from origin_ns_ (the constructor's now). A deadline
// becomes a tick by rounding UP, so an entry filed under tick t has a deadline in
// (origin + (t-1) ms, origin + t ms]. elapsed_ is the wheel's own "now", also rounded up:
// ceil((now - origin) / 1 ms) for the largest now seen. Rounding both up is what makes the
// bookkeeping exact rather than merely close:
//   * an entry with tick_ > elapsed_ has deadline > origin + elapsed_ ms >= now: not due;
//   * an entry with tick_ <= elapsed_ has deadline <= origin + elapsed_ ms < now + 1 ms:
//     due, or due within the current tick.
// So after expire(now) has advanced elapsed_, every due entry is among those with
// tick_ <= elapsed_ (pending_ and due_), and those are settled by comparing exact deadlines.
//
// Levels
// ------
// A tick is a 64-bit number read as 6-bit digits; digit n is the slot index on level n:
//
//    63 ..... 36 | 35..30 | 29..24 | 23..18 | 17..12 | 11..6 | 5..0
//    (no level)  | lvl 5  | lvl 4  | lvl 3  | lvl 2  | lvl 1 | lvl 0
//
// A slot on level n spans 64^n ticks and the level spans 64^(n+1): 64 ms, ~4.1 s, ~4.4 min,
// ~4.7 h, ~12.4 days, ~2.2 years. An entry is filed on the level of the highest digit in
// which its tick differs from elapsed_. All digits above that one are equal, so the entry
// lies in the same level-sized block as "now"; being later than now, its digit there is
// strictly greater than now's. Two consequences drive everything below:
//   * On each level, every occupied slot is strictly ahead of now's slot (the top level is
//     the exception, see below), and the slot's start is (now with the digits of this level
//     and below cleared) + slot * 64^n. So the next occupied slot is one count-trailing-zeros
//     on the level's occupancy bitmap, masked to the slots after now's.
//   * Every entry on level n is later than every entry on any level below n (the lower
//     levels only hold ticks inside now's current level-n slot). So the earliest occupied
//     slot is the first one found on the lowest non-empty level.
//
// Advancing
// ---------
// elapsed_ moves forward by jumping to the start of the earliest occupied slot while that
// start is <= the target tick. The slot is emptied and its entries are filed again relative
// to the new elapsed_: those whose tick has been reached join the batch that expire() sorts,
// the rest drop to lower levels (they now agree with elapsed_ on this level's digit), which
// is the "cascade". Once no occupied slot starts at or before the target, elapsed_ jumps to
// the target. That jump keeps the filing valid: every remaining entry's slot still starts
// after the target, so the target shares the entry's higher digits and is behind it on its
// level. (An entry may then sit on a higher level than a fresh insert would choose; that is
// harmless, it cascades when its slot comes up.) Each entry cascades at most once per level,
// and empty slots are skipped by the bitmaps, so a jump of hours costs work in proportion to
// the occupied slots passed, not to the ticks passed.
//
// Beyond the top level
// --------------------
// Deadlines whose tick differs from elapsed_ above bit 35 have no level. They go on the top
// level in the slot given by their digit 5, and the top level is read as a ring: a slot
// ahead of now's digit stands for this 2^36-tick block, a slot at or behind it for the next
// block. That slot time is never after the entry's tick and always after now, so when it
// comes up the entry is simply filed again -- cascading down if it is now within range,
// or going round the ring once more (at most once per ~2.2 years of wheel time). The price:
// on the top level alone, the first occupied slot need not hold the earliest entry, so
// next_expiry_ns looks at every occupied top-level slot's recorded minimum (64 at most).
//
// Why the sorted due_ list
// ------------------------
// A tick is 1 ms but deadlines are in ns, and the order of hand-out must be (deadline,
// insertion order). Entries whose tick has been reached are sorted once (list::sort, a
// merge sort on the links, no allocation) and merged into due_; expire() pops the prefix that
// is due. What stays in due_ is due within the current tick, so it stays small.
#include <blitz/detail/timer_wheel.hpp>

#include <cstdint>
#include <limits>

namespace blitz {
namespace detail {

constexpr std::int64_t timer_wheel::tick_ns;
constexpr unsigned timer_wheel::bits_per_level;
constexpr unsigned timer_wheel::slots_per_level;
constexpr unsigned timer_wheel::num_levels;

namespace {

constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t slot_mask = timer_wheel::slots_per_level - 1;
constexpr unsigned top_level = timer_wheel::num_levels - 1;

static_assert(timer_wheel::slots_per_level == 64, "one occupancy word per level");

inline unsigned ctz64(std::uint64_t v) noexcept
{
  BOOST_ASSERT(v != 0);
  return static_cast<unsigned>(__builtin_ctzll(v));
}

inline unsigned msb64(std::uint64_t v) noexcept
{
  BOOST_ASSERT(v != 0);
  return 63u - static_cast<unsigned>(__builtin_clzll(v));
}

// Ticks spanned by one slot of `level`, and by the whole level.
inline std::uint64_t slot_range(unsigned level) noexcept
{
  return std::uint64_t(1) << (level * timer_wheel::bits_per_level);
}
inline std::uint64_t level_range(unsigned level) noexcept
{
  return std::uint64_t(1) << ((level + 1) * timer_wheel::bits_per_level);
}

// Exact (b - a) for a < b as an unsigned number: the true value is in (0, 2^64), and unsigned
// arithmetic is modulo 2^64, so the wrap-around cancels out even across zero.
inline std::uint64_t distance(std::int64_t a, std::int64_t b) noexcept
{
  return static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
}

} // namespace

timer_wheel::timer_wheel(std::int64_t now_ns) noexcept
  : origin_ns_(now_ns), now_ns_(now_ns), pending_min_ns_(max_ns)
{
  for (unsigned l = 0; l < num_levels; ++l)
  {
    occupied_[l] = 0;
    for (unsigned s = 0; s < slots_per_level; ++s)
      slot_min_ns_[l][s] = max_ns;
  }
}

timer_wheel::~timer_wheel()
{
  // Leave no entry claiming to be linked to a wheel that is gone.
  for (auto& level : slots_)
    for (auto& slot : level)
      release_all(slot);
  release_all(pending_);
  release_all(due_);
}

void timer_wheel::release_all(wheel_entry_list& l) noexcept
{
  l.clear_and_dispose([](wheel_entry* e) noexcept { e->where_ = wheel_entry::where_none; });
}

std::uint64_t timer_wheel::tick_of(std::int64_t ns) const noexcept
{
  if (ns <= origin_ns_)
    return 0;
  const std::uint64_t d = distance(origin_ns_, ns);
  const std::uint64_t t = static_cast<std::uint64_t>(tick_ns);
  return d / t + (d % t != 0 ? 1 : 0); // round up: never early
}

// Every deadline filed under `tick` (>= 1) is at least this: origin + (tick-1) ms + 1 ns.
// Saturates at INT64_MAX (top-level ring slot times can lie past the representable range).
std::int64_t timer_wheel::tick_lower_bound_ns(std::uint64_t tick) const noexcept
{
  BOOST_ASSERT(tick >= 1);
  const std::uint64_t t = static_cast<std::uint64_t>(tick_ns);
  if (tick - 1 > (std::numeric_limits<std::uint64_t>::max() - 1) / t)
    return max_ns;
  const std::uint64_t off = (tick - 1) * t + 1;
  const std::uint64_t room = distance(origin_ns_, max_ns); // origin_ns_ <= max_ns
  if (off > room)
    return max_ns;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(origin_ns_) + off);
}

// Files e (tick_ > elapsed_) on the level of the highest digit where its tick and elapsed_
// differ.
void timer_wheel::place(wheel_entry& e) noexcept
{
  BOOST_ASSERT(e.tick_ > elapsed_);
  // OR-ing in the level-0 digit keeps the argument non-zero and maps "differs only in
  // digit 0" to level 0, like Tokio.
  const std::uint64_t differing = (elapsed_ ^ e.tick_) | slot_mask;
  unsigned level = msb64(differing) / bits_per_level;
  if (level > top_level)
    level = top_level; // past the top level: its digit-5 slot, read as a ring (see above)
  const unsigned slot = static_cast<unsigned>((e.tick_ >> (level * bits_per_level)) & slot_mask);

  const std::uint64_t bit = std::uint64_t(1) << slot;
  if ((occupied_[level] & bit) == 0)
  {
    occupied_[level] |= bit;
    slot_min_ns_[level][slot] = e.deadline_ns;
  }
  else if (e.deadline_ns < slot_min_ns_[level][slot])
    slot_min_ns_[level][slot] = e.deadline_ns;

  e.where_ = static_cast<std::uint8_t>(level);
  e.slot_ = static_cast<std::uint8_t>(slot);
  slots_[level][slot].push_back(e);
}

// The tick at which an occupied slot starts; always > elapsed_.
std::uint64_t timer_wheel::slot_start(unsigned level, unsigned slot) const noexcept
{
  const unsigned shift = level * bits_per_level;
  const unsigned now_slot = static_cast<unsigned>((elapsed_ >> shift) & slot_mask);
  // Start of now's block on this level: elapsed_ with this level's digit and all lower
  // digits cleared.
  std::uint64_t block = elapsed_ & ~(level_range(level) - 1);
  if (slot <= now_slot)
  {
    // Only the top level wraps: a slot at or behind now's digit stands for the next block.
    BOOST_ASSERT(level == top_level);
    block += level_range(level);
  }
  const std::uint64_t start = block + std::uint64_t(slot) * slot_range(level);
  BOOST_ASSERT(start > elapsed_);
  return start;
}

// The earliest occupied slot: the first one after now's on the lowest non-empty level.
bool timer_wheel::next_expiration(expiration& x) const noexcept
{
  for (unsigned level = 0; level < num_levels; ++level)
  {
    const std::uint64_t occ = occupied_[level];
    if (occ == 0)
      continue;
    const unsigned now_slot =
        static_cast<unsigned>((elapsed_ >> (level * bits_per_level)) & slot_mask);
    // Slots strictly after now's (now_slot == 63: none; avoid the shift by 64), else the
    // first one round the ring (top level only).
    const std::uint64_t ahead =
        now_slot == slot_mask ? 0 : occ & (~std::uint64_t(0) << (now_slot + 1));
    x.level = level;
    x.slot = ctz64(ahead != 0 ? ahead : occ);
    x.tick = slot_start(level, x.slot);
    return true;
  }
  return false;
}

// Lower bound on every deadline in an occupied slot.
std::int64_t timer_wheel::slot_lower_bound_ns(const expiration& x) const noexcept
{
  const std::int64_t by_start = tick_lower_bound_ns(x.tick);
  const std::int64_t by_min = slot_min_ns_[x.level][x.slot];
  return by_min > by_start ? by_min : by_start;
}

// Moves elapsed_ to target, cascading every slot that starts on the way; entries whose tick
// is reached are appended to batch (unsorted, where_ not yet updated).
void timer_wheel::advance_to(std::uint64_t target, wheel_entry_list& batch) noexcept
{
  expiration x;
  while (next_expiration(x) && x.tick <= target)
  {
    // Detach the whole slot first: a far-future entry on the top level may be filed right
    // back into the same slot (one more time round the ring).
    wheel_entry_list cascade;
    cascade.splice(cascade.end(), slots_[x.level][x.slot]);
    occupied_[x.level] &= ~(std::uint64_t(1) << x.slot);
    elapsed_ = x.tick;
    while (!cascade.empty())
    {
      wheel_entry& e = cascade.front();
      cascade.pop_front();
      if (e.tick_ <= elapsed_)
        batch.push_back(e);
      else
        place(e);
    }
  }
  if (target > elapsed_)
    elapsed_ = target;
}

void timer_wheel::insert(wheel_entry& e) noexcept
{
  BOOST_ASSERT(!e.linked());
  BOOST_ASSERT(!e.is_linked()); // still in an expire() output list?
  e.seq_ = next_seq_++;
  e.tick_ = tick_of(e.deadline_ns);
  ++size_;
  if (e.tick_ <= elapsed_)
  {
    // Due now or within the current tick: settled by exact comparison at the next expire().
    e.where_ = wheel_entry::where_pending;
    pending_.push_back(e);
    if (e.deadline_ns < pending_min_ns_)
      pending_min_ns_ = e.deadline_ns;
  }
  else
    place(e);
}

void timer_wheel::replace(wheel_entry& from, wheel_entry& to) noexcept
{
  std::uint64_t seq = from.seq_;
  remove(from);
  insert(to);
  // insert() puts an entry in pending_ or a slot, never in the sorted due_ list: the
  // order is settled by due_before() when it gets there, with this number.
  to.seq_ = seq;
}

void timer_wheel::remove(wheel_entry& e) noexcept
{
  BOOST_ASSERT(e.linked());
  switch (e.where_)
  {
  case wheel_entry::where_pending:
    pending_.erase(pending_.iterator_to(e));
    if (pending_.empty())
      pending_min_ns_ = max_ns;
    break;
  case wheel_entry::where_due:
    due_.erase(due_.iterator_to(e));
    break;
  default:
  {
    BOOST_ASSERT(e.where_ < num_levels);
    wheel_entry_list& slot = slots_[e.where_][e.slot_];
    slot.erase(slot.iterator_to(e));
    if (slot.empty())
      occupied_[e.where_] &= ~(std::uint64_t(1) << e.slot_);
    break;
  }
  }
  e.where_ = wheel_entry::where_none;
  --size_;
}

// (deadline, insertion order); seq_ is unique, so this is a strict total order.
bool timer_wheel::due_before(const wheel_entry& a, const wheel_entry& b) noexcept
{
  return a.deadline_ns < b.deadline_ns || (a.deadline_ns == b.deadline_ns && a.seq_ < b.seq_);
}

void timer_wheel::expire(std::int64_t now_ns, wheel_entry_list& out) noexcept
{
  if (now_ns < now_ns_)
    now_ns = now_ns_;
  now_ns_ = now_ns;

  wheel_entry_list batch;
  batch.splice(batch.end(), pending_);
  pending_min_ns_ = max_ns;
  advance_to(tick_of(now_ns), batch);

  if (!batch.empty())
  {
    for (wheel_entry& e : batch)
      e.where_ = wheel_entry::where_due;
    const auto order = [](const wheel_entry& a, const wheel_entry& b) noexcept {
      return due_before(a, b);
    };
    batch.sort(order);
    due_.merge(batch, order);
  }

  while (!due_.empty() && due_.front().deadline_ns <= now_ns)
  {
    wheel_entry& e = due_.front();
    due_.pop_front();
    e.where_ = wheel_entry::where_none;
    --size_;
    out.push_back(e);
  }
}

void timer_wheel::take_all(wheel_entry_list& out) noexcept
{
  wheel_entry_list all;
  all.splice(all.end(), due_);
  all.splice(all.end(), pending_);
  pending_min_ns_ = max_ns;
  for (unsigned level = 0; level < num_levels; ++level)
  {
    for (std::uint64_t occupied = occupied_[level]; occupied != 0; occupied &= occupied - 1)
      all.splice(all.end(), slots_[level][ctz64(occupied)]);
    occupied_[level] = 0;
  }
  for (wheel_entry& e : all)
    e.where_ = wheel_entry::where_none;
  size_ = 0;
  all.sort([](const wheel_entry& a, const wheel_entry& b) noexcept { return due_before(a, b); });
  out.splice(out.end(), all);
}

std::int64_t timer_wheel::next_expiry_ns(std::int64_t now_ns) const noexcept
{
  if (size_ == 0)
    return -1;

  std::int64_t earliest;
  if (!pending_.empty() || !due_.empty())
  {
    // Entries at or behind the current tick are earlier than anything on the levels.
    earliest = pending_.empty() ? max_ns : pending_min_ns_;
    if (!due_.empty() && due_.front().deadline_ns < earliest)
      earliest = due_.front().deadline_ns;
  }
  else
  {
    expiration x;
    const bool found = next_expiration(x);
    BOOST_ASSERT(found);
    (void)found;
    // A slot's recorded minimum is exact unless an entry was removed from the slot since,
    // and never below the slot's start (it is reset whenever the slot becomes occupied; the
    // max below is only a safety net). So waking at this bound and calling expire() either
    // hands the earliest entry out or, if the minimum was stale, reaches the slot's start
    // and cascades the slot, which refreshes the minimums: the caller cannot spin.
    earliest = slot_lower_bound_ns(x);
    if (x.level == top_level)
    {
      // Top-level slots may also hold entries from later rotations of the ring, so the
      // first slot need not hold the earliest entry: take the least bound over the (at most
      // 64) occupied top-level slots.
      for (std::uint64_t occ = occupied_[top_level]; occ != 0; occ &= occ - 1)
      {
        const unsigned slot = ctz64(occ);
        const expiration y{top_level, slot, slot_start(top_level, slot)};
        const std::int64_t b = slot_lower_bound_ns(y);
        if (b < earliest)
          earliest = b;
      }
    }
  }

  if (earliest <= now_ns)
    return 0;
  const std::uint64_t d = distance(now_ns, earliest);
  return d > static_cast<std::uint64_t>(max_ns) ? max_ns : static_cast<std::int64_t>(d);
}

} // namespace detail
} // namespace blitz
