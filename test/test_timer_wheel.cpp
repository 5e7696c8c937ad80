#define BOOST_TEST_MODULE timer_wheel
#include <boost/test/unit_test.hpp>

#include <blitz/detail/timer_wheel.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <numeric>
#include <set>
#include <tuple>
#include <vector>

// ---------------------------------------------------------------------------------------------
// Allocation counting. The global allocation functions are replaced for the whole program;
// they only count while g_counting is set (see no_heap_allocation_in_steady_state).
namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_news{0};
std::atomic<long> g_deletes{0};

void* counted_alloc(std::size_t n) noexcept
{
  if (g_counting.load(std::memory_order_relaxed))
    g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n != 0 ? n : 1);
}

void counted_free(void* p) noexcept
{
  if (p == nullptr)
    return;
  if (g_counting.load(std::memory_order_relaxed))
    g_deletes.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}

} // namespace

void* operator new(std::size_t n)
{
  void* p = counted_alloc(n);
  if (p == nullptr)
    throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n)
{
  void* p = counted_alloc(n);
  if (p == nullptr)
    throw std::bad_alloc();
  return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

// ---------------------------------------------------------------------------------------------
namespace {

using blitz::detail::timer_wheel;
using blitz::detail::wheel_entry;
using blitz::detail::wheel_entry_list;

constexpr std::int64_t us = 1000;
constexpr std::int64_t ms = 1000 * us;
constexpr std::int64_t sec = 1000 * ms;
constexpr std::int64_t minute = 60 * sec;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;
constexpr std::int64_t year = 365 * day;
constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();
// Ticks one rotation of the top level spans (6 levels x 6 bits), in ns.
constexpr std::int64_t wheel_range_ns = (std::int64_t(1) << 36) * ms;

struct item : wheel_entry
{
  std::size_t id = 0;
};

// splitmix64: the same sequence with every standard library (unlike <random>'s distributions).
struct prng
{
  std::uint64_t state;

  std::uint64_t next()
  {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Uniform in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi)
  {
    const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    const std::uint64_t off = span == 0 ? next() : next() % span;
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + off);
  }
  bool chance(unsigned percent) { return below(100) < percent; }
  // Log-uniform-ish in [0, 2^max_bits): a random bit width, then a uniform value of that width.
  // Exercises every wheel level (and sub-tick offsets) with comparable weight.
  std::int64_t log_uniform(unsigned max_bits)
  {
    const unsigned bits = static_cast<unsigned>(below(max_bits + 1));
    return bits == 0 ? 0 : static_cast<std::int64_t>(next() >> (64 - bits));
  }
};

// Runs a timer_wheel side by side with a trivially correct model (an ordered set keyed by
// (deadline, insertion order)) and checks every observable result against it:
//   * expire(now) must hand out exactly the model's entries with deadline <= now (after the
//     clamp to the largest now so far), in the model's order -- so nothing fires early,
//     nothing due is held back, nothing fires twice, removed entries never fire, and the
//     order is (deadline, insertion order);
//   * next_expiry_ns must be >= 0 (-1 when empty) and never later than the model's earliest
//     deadline; where the wheel promises it, exactly equal.
class harness
{
public:
  enum state_t { idle, in_wheel, fired, removed };

  harness(std::int64_t t0, std::size_t n)
    : items_(n), state_(n, idle), seq_of_(n, 0), live_pos_(n, 0), wheel_(t0), now_(t0)
  {
    for (std::size_t i = 0; i < n; ++i)
      items_[i].id = i;
  }

  void insert(std::size_t id, std::int64_t deadline)
  {
    item& it = items_[id];
    check(!it.linked(), "insert: entry still linked", id);
    it.deadline_ns = deadline;
    wheel_.insert(it);
    check(it.linked(), "insert: entry not linked afterwards", id);
    seq_of_[id] = next_seq_++;
    model_.emplace(deadline, seq_of_[id], id);
    state_[id] = in_wheel;
    live_pos_[id] = live_.size();
    live_.push_back(id);
  }

  // A random entry currently in the wheel, if any.
  bool random_live(prng& rng, std::size_t& id) const
  {
    if (live_.empty())
      return false;
    id = live_[rng.below(live_.size())];
    return true;
  }

  void remove(std::size_t id)
  {
    item& it = items_[id];
    check(it.linked(), "remove: entry not linked", id);
    wheel_.remove(it);
    check(!it.linked(), "remove: entry still linked afterwards", id);
    model_.erase(std::make_tuple(it.deadline_ns, seq_of_[id], id));
    state_[id] = removed;
    unlive(id);
    ++removed_count_;
  }

  // Returns how many entries came out.
  std::size_t expire(std::int64_t t)
  {
    wheel_entry_list out;
    wheel_.expire(t, out);
    now_ = std::max(now_, t);
    std::size_t n = 0;
    while (!out.empty())
    {
      item& it = static_cast<item&>(out.front());
      out.pop_front();
      ++n;
      const std::size_t id = it.id;
      check(!it.linked(), "expire: handed-out entry still claims to be linked", id);
      check(it.deadline_ns <= now_, "expire: fired early", id);
      check(state_[id] == in_wheel, "expire: fired twice, after removal or never inserted", id);
      check(!model_.empty() && std::get<2>(*model_.begin()) == id,
          "expire: out of (deadline, insertion) order", id);
      model_.erase(std::make_tuple(it.deadline_ns, seq_of_[id], id));
      state_[id] = fired;
      unlive(id);
      fired_order_.push_back(id);
    }
    check(model_.empty() || std::get<0>(*model_.begin()) > now_,
        "expire: a due entry was not handed out", model_.empty() ? 0 : std::get<2>(*model_.begin()));
    return n;
  }

  // exact: the wheel must report the true distance (no removals since the entries' slots were
  // filled). Otherwise only the contract: 0 <= result <= true distance.
  std::int64_t check_next_expiry(std::int64_t t, bool exact)
  {
    const std::int64_t r = wheel_.next_expiry_ns(t);
    if (model_.empty())
    {
      check(r == -1, "next_expiry_ns: not -1 on an empty wheel", 0);
      return r;
    }
    const std::int64_t earliest = std::get<0>(*model_.begin());
    const std::int64_t truth = earliest <= t ? 0 : earliest - t;
    if (r < 0 || r > truth || (exact && r != truth))
    {
      BOOST_ERROR("next_expiry_ns(" << t << ") = " << r << ", earliest deadline is " << earliest
                                    << " (distance " << truth << ")");
      bump_failures();
    }
    return r;
  }

  void check_size()
  {
    if (wheel_.size() != model_.size() || wheel_.empty() != model_.empty())
    {
      BOOST_ERROR("size() = " << wheel_.size() << ", model holds " << model_.size());
      bump_failures();
    }
  }

  timer_wheel& wheel() { return wheel_; }
  item& at(std::size_t id) { return items_[id]; }
  std::int64_t now() const { return now_; }
  bool model_empty() const { return model_.empty(); }
  std::size_t model_size() const { return model_.size(); }
  std::int64_t earliest() const { return std::get<0>(*model_.begin()); }
  state_t state(std::size_t id) const { return state_[id]; }
  const std::vector<std::size_t>& fired_order() const { return fired_order_; }
  std::size_t removed_count() const { return removed_count_; }

private:
  void unlive(std::size_t id)
  {
    if (state_[id] == in_wheel)
      return; // state not updated yet: caller bug
    const std::size_t pos = live_pos_[id];
    if (pos >= live_.size() || live_[pos] != id)
      return;
    live_[pos] = live_.back();
    live_pos_[live_[pos]] = pos;
    live_.pop_back();
  }

  void check(bool ok, const char* what, std::size_t id)
  {
    if (ok)
      return;
    BOOST_ERROR(what << " (entry " << id << ", deadline " << items_[id].deadline_ns << ", now " << now_ << ")");
    bump_failures();
  }
  void bump_failures()
  {
    ++failures_;
    BOOST_REQUIRE_MESSAGE(failures_ < 20, "too many failures, giving up on this test case");
  }

  // Declared before the wheel: the wheel is destroyed first and unlinks what it still holds.
  std::vector<item> items_;
  std::vector<state_t> state_;
  std::vector<std::uint64_t> seq_of_;
  std::vector<std::size_t> live_; // ids in the wheel
  std::vector<std::size_t> live_pos_;
  timer_wheel wheel_;
  std::int64_t now_;
  std::uint64_t next_seq_ = 0;
  std::set<std::tuple<std::int64_t, std::uint64_t, std::size_t>> model_;
  std::vector<std::size_t> fired_order_;
  std::size_t removed_count_ = 0;
  int failures_ = 0;
};

std::vector<std::size_t> drain(timer_wheel& w, std::int64_t now)
{
  wheel_entry_list out;
  w.expire(now, out);
  std::vector<std::size_t> ids;
  while (!out.empty())
  {
    ids.push_back(static_cast<item&>(out.front()).id);
    out.pop_front();
  }
  return ids;
}

} // namespace

// ---------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(same_tick_sub_millisecond_order)
{
  timer_wheel w(0);
  item it[6];
  const std::int64_t dl[6] = {
      5 * ms + 900 * us, // 0
      5 * ms + 100 * us, // 1
      5 * ms + 500 * us, // 2
      5 * ms + 100 * us, // 3: same as 1, inserted later
      5 * ms,            // 4: exactly on a tick boundary (tick 5)
      5 * ms + 1,        // 5: one ns later (tick 6)
  };
  for (std::size_t i = 0; i < 6; ++i)
  {
    it[i].id = i;
    it[i].deadline_ns = dl[i];
    w.insert(it[i]);
  }
  BOOST_TEST(w.size() == 6u);
  BOOST_TEST(w.next_expiry_ns(0) == 5 * ms);
  BOOST_TEST(w.next_expiry_ns(2 * ms) == 3 * ms);

  BOOST_TEST(drain(w, 5 * ms - 1).empty());
  BOOST_TEST(w.next_expiry_ns(5 * ms - 1) == 1);

  const std::vector<std::size_t> first{4, 5, 1, 3, 2};
  BOOST_TEST(drain(w, 5 * ms + 500 * us) == first);
  BOOST_TEST(w.size() == 1u);
  BOOST_TEST(w.next_expiry_ns(5 * ms + 500 * us) == 400 * us);
  BOOST_TEST(drain(w, 5 * ms + 900 * us - 1).empty());
  const std::vector<std::size_t> second{0};
  BOOST_TEST(drain(w, 5 * ms + 900 * us) == second);
  BOOST_TEST(w.empty());
  BOOST_TEST(w.next_expiry_ns(6 * ms) == -1);
}

BOOST_AUTO_TEST_CASE(past_deadlines_and_backwards_now)
{
  timer_wheel w(100 * ms);
  BOOST_TEST(drain(w, 200 * ms).empty());
  item a, b, c, d;
  a.id = 0, a.deadline_ns = 50 * ms;           // before the wheel was even created
  b.id = 1, b.deadline_ns = 200 * ms;          // exactly now
  c.id = 2, c.deadline_ns = 150 * ms;          // in the past
  d.id = 3, d.deadline_ns = 200 * ms + 500 * us; // later within the current tick
  for (item* p : {&a, &b, &c, &d})
    w.insert(*p);
  BOOST_TEST(w.next_expiry_ns(200 * ms) == 0);

  // A clock value older than one seen before counts as the one seen before (200 ms).
  const std::vector<std::size_t> due{0, 2, 1};
  BOOST_TEST(drain(w, 120 * ms) == due);
  BOOST_TEST(w.size() == 1u);
  BOOST_TEST(d.linked());
  BOOST_TEST(w.next_expiry_ns(200 * ms) == 500 * us);
  const std::int64_t from_earlier = w.next_expiry_ns(150 * ms);
  BOOST_TEST(from_earlier >= 0);
  BOOST_TEST(from_earlier <= 50 * ms + 500 * us);
  BOOST_TEST(drain(w, 200 * ms + 499 * us).empty());
  const std::vector<std::size_t> last{3};
  BOOST_TEST(drain(w, 200 * ms + 500 * us) == last);
  BOOST_TEST(!d.linked());
}

BOOST_AUTO_TEST_CASE(bookkeeping_and_remove_from_every_place)
{
  item level_entry, pending_entry, due_entry, far_entry;
  {
    timer_wheel w(1 * sec);
    BOOST_TEST(w.empty());
    BOOST_TEST(w.size() == 0u);
    BOOST_TEST(w.next_expiry_ns(1 * sec) == -1);
    BOOST_TEST(!level_entry.linked());

    level_entry.deadline_ns = 1 * sec + 3 * minute; // on a level
    pending_entry.deadline_ns = 1 * sec - 1;        // in the past: waits for the next expire()
    far_entry.deadline_ns = 1 * sec + 10 * year;    // beyond the top level
    w.insert(level_entry);
    w.insert(pending_entry);
    w.insert(far_entry);
    BOOST_TEST(w.size() == 3u);
    BOOST_TEST(level_entry.linked());
    BOOST_TEST(pending_entry.linked());

    // A copy of a linked entry is not linked.
    wheel_entry copy(level_entry);
    BOOST_TEST(!copy.linked());
    BOOST_TEST(copy.deadline_ns == level_entry.deadline_ns);

    w.remove(pending_entry);
    BOOST_TEST(!pending_entry.linked());
    BOOST_TEST(w.size() == 2u);
    BOOST_TEST(w.next_expiry_ns(1 * sec) > 0);
    BOOST_TEST(w.next_expiry_ns(1 * sec) <= 3 * minute);

    w.remove(level_entry);
    BOOST_TEST(w.size() == 1u);
    // Removing the only entry of a slot leaves nothing stale behind: the bound is exact again.
    BOOST_TEST(w.next_expiry_ns(1 * sec) == 10 * year);
    BOOST_TEST(drain(w, 1 * sec + 4 * minute).empty());

    // Due within the current tick but not yet due: held back, then removed.
    const std::int64_t b = 1 * sec + 5 * minute;
    BOOST_TEST(drain(w, b + 100 * us).empty());
    due_entry.deadline_ns = b + 600 * us;
    w.insert(due_entry);
    BOOST_TEST(drain(w, b + 200 * us).empty());
    BOOST_TEST(due_entry.linked());
    BOOST_TEST(w.next_expiry_ns(b + 200 * us) == 400 * us);
    w.remove(due_entry);
    BOOST_TEST(!due_entry.linked());
    BOOST_TEST(drain(w, b + 600 * us).empty());

    // Re-inserting removed entries works.
    w.insert(due_entry);
    w.insert(pending_entry);
    BOOST_TEST(w.size() == 3u);
    BOOST_TEST(drain(w, b + 600 * us).size() == 2u);
    BOOST_TEST(w.size() == 1u);
    BOOST_TEST(far_entry.linked());
    // The wheel goes away with far_entry still in it: the entry must end up unlinked.
  }
  BOOST_TEST(!far_entry.linked());
  BOOST_TEST(!far_entry.is_linked());
}

// take_all (a context's shutdown cancelling every timer) empties every place an entry can
// be, hands them out in deadline order, and leaves the wheel's clock alone: an entry
// inserted afterwards comes due at its own deadline. (expire(INT64_MAX) would have moved
// the clock to the end of time, making every later entry due at once.)
BOOST_AUTO_TEST_CASE(take_all_hands_out_everything_and_keeps_the_clock)
{
  item level_entry, pending_entry, due_entry, far_entry, later;
  timer_wheel w(1 * sec);
  const std::int64_t now = 1 * sec + 5 * minute;
  BOOST_TEST(drain(w, now).empty());
  level_entry.id = 1;
  level_entry.deadline_ns = now + 3 * minute;
  pending_entry.id = 2;
  pending_entry.deadline_ns = now - 1; // waits for the next expire()
  due_entry.id = 3;
  due_entry.deadline_ns = now + 600 * us; // within the current tick
  far_entry.id = 4;
  far_entry.deadline_ns = now + 10 * year;
  w.insert(level_entry);
  w.insert(far_entry);
  w.insert(due_entry);
  BOOST_TEST(drain(w, now + 100 * us).empty()); // sorts due_entry into due_
  w.insert(pending_entry);
  BOOST_TEST(w.size() == 4u);

  wheel_entry_list all;
  w.take_all(all);
  std::vector<std::size_t> ids;
  while (!all.empty())
  {
    ids.push_back(static_cast<item&>(all.front()).id);
    all.pop_front();
  }
  std::vector<std::size_t> expected{2, 3, 1, 4};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
  BOOST_TEST(w.empty());
  BOOST_TEST(w.next_expiry_ns(now) == -1);
  for (item* e : {&level_entry, &pending_entry, &due_entry, &far_entry})
    BOOST_TEST(!e->linked());

  later.id = 5;
  later.deadline_ns = now + 50 * ms;
  w.insert(later);
  BOOST_TEST(drain(w, now + 200 * us).empty());
  BOOST_TEST(w.next_expiry_ns(now + 200 * us) > 0);
  std::vector<std::size_t> fired = drain(w, now + 50 * ms);
  BOOST_TEST(fired.size() == 1u);
  BOOST_TEST(!later.linked());
  // The taken entries can go back in.
  w.insert(level_entry);
  BOOST_TEST(w.size() == 1u);
  BOOST_TEST(drain(w, now + 3 * minute).size() == 1u);
}

BOOST_AUTO_TEST_CASE(random_deadlines_expire_exactly_once_in_order)
{
  const std::size_t n = 20000;
  const std::int64_t t0 = 1000 * sec + 123457; // not on a millisecond of the clock
  prng rng{0x243F6A8885A308D3ull};
  harness h(t0, n);

  std::vector<std::int64_t> dl(n);
  std::size_t past = 0, same = 0, sub_ms = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    const unsigned kind = static_cast<unsigned>(rng.below(100));
    if (kind < 8)
      dl[i] = t0 - rng.range(0, hour), ++past; // in the past, or exactly now
    else if (kind < 18 && i > 0)
      dl[i] = dl[rng.below(i)], ++same; // identical to an earlier deadline
    else if (kind < 28 && i > 0)
      dl[i] = dl[rng.below(i)] + rng.range(1, ms - 1), ++sub_ms; // sub-ms apart from one
    else if (kind < 33)
      dl[i] = t0 + rng.range(0, 5 * hour) / ms * ms; // exactly on a wheel tick
    else
      dl[i] = t0 + rng.log_uniform(44); // 0 .. ~4.9 h, all levels
    h.insert(i, dl[i]);
  }
  BOOST_TEST(past > 1000u);
  BOOST_TEST(same > 1000u);
  BOOST_TEST(sub_ms > 1000u);
  h.check_size();
  h.check_next_expiry(t0, true);

  std::int64_t now = t0;
  std::size_t calls = 0;
  while (!h.model_empty() && calls < 1000000)
  {
    if (rng.chance(5))
      h.expire(now - rng.range(0, sec)); // a stale clock reading: must act as `now`
    if (rng.chance(10) && h.earliest() > now)
      now = h.earliest(); // land exactly on a deadline
    else
      now += rng.log_uniform(38); // 0 .. ~4.6 min
    h.expire(now);
    ++calls;
    h.check_next_expiry(now, true); // nothing removed: the bound is exact
    if (calls % 50 == 0)
      h.check_size();
  }
  BOOST_TEST_MESSAGE("random_deadlines: " << calls << " expire() calls");
  BOOST_TEST(calls > 1000u);
  BOOST_TEST(h.model_empty());
  BOOST_TEST(h.wheel().empty());
  BOOST_TEST(h.wheel().next_expiry_ns(now) == -1);

  // The global hand-out order is the (deadline, insertion order) sort of everything inserted.
  std::vector<std::size_t> expected(n);
  std::iota(expected.begin(), expected.end(), std::size_t(0));
  std::stable_sort(expected.begin(), expected.end(),
      [&](std::size_t a, std::size_t b) { return dl[a] < dl[b]; });
  BOOST_TEST(h.fired_order().size() == n);
  BOOST_TEST((h.fired_order() == expected));
}

BOOST_AUTO_TEST_CASE(random_insert_remove_interleaved)
{
  const std::size_t n = 20000;
  const std::int64_t t0 = 77 * day + 999999;
  prng rng{0xB7E151628AED2A6Bull};
  harness h(t0, n);

  std::vector<std::size_t> available(n);
  std::iota(available.begin(), available.end(), std::size_t(0));
  std::size_t fired_seen = 0;
  std::size_t inserts = 0, reinserted = 0;

  auto pick_linked = [&](std::size_t& id) { return h.random_live(rng, id); };

  for (int step = 0; step < 120000; ++step)
  {
    const unsigned op = static_cast<unsigned>(rng.below(100));
    const std::int64_t now = h.now();
    if (op < 45 && !available.empty())
    {
      const std::size_t k = rng.below(available.size());
      const std::size_t id = available[k];
      available[k] = available.back();
      available.pop_back();
      if (h.state(id) != harness::idle)
        ++reinserted;
      std::int64_t deadline;
      const unsigned kind = static_cast<unsigned>(rng.below(100));
      std::size_t other;
      if (kind < 10)
        deadline = now - rng.range(0, 10 * sec);
      else if (kind < 15)
        deadline = now;
      else if (kind < 30)
        deadline = now + rng.range(1, 2 * ms);
      else if (kind < 40 && pick_linked(other))
        deadline = h.at(other).deadline_ns + (rng.chance(50) ? 0 : rng.range(-999, 999));
      else
        deadline = now + rng.log_uniform(44);
      h.insert(id, deadline);
      ++inserts;
    }
    else if (op < 70)
    {
      std::size_t id = rng.below(n);
      if (h.at(id).linked() != (h.state(id) == harness::in_wheel))
        BOOST_ERROR("linked() is " << h.at(id).linked() << " for entry " << id << " in state " << h.state(id));
      if (pick_linked(id))
      {
        h.remove(id);
        available.push_back(id);
      }
    }
    else
    {
      std::int64_t t;
      if (rng.chance(10) && !h.model_empty() && h.earliest() > now)
        t = h.earliest();
      else if (rng.chance(3))
        t = now - rng.range(0, sec);
      else
        t = now + rng.log_uniform(36); // 0 .. ~69 s
      h.expire(t);
      h.check_next_expiry(h.now(), false);
      if (rng.chance(5))
        h.check_next_expiry(h.now() + rng.log_uniform(40), false);
      // Entries handed out may be inserted again.
      for (; fired_seen < h.fired_order().size(); ++fired_seen)
        available.push_back(h.fired_order()[fired_seen]);
    }
    if (step % 100 == 0)
      h.check_size();
  }
  BOOST_TEST_MESSAGE("interleaved: " << inserts << " inserts (" << reinserted << " re-inserts), "
                                     << h.removed_count() << " removes, " << h.fired_order().size()
                                     << " fired");
  BOOST_TEST(inserts > 20000u);
  BOOST_TEST(reinserted > 1000u);
  BOOST_TEST(h.removed_count() > 5000u);
  BOOST_TEST(h.fired_order().size() > 5000u);

  // Drain: everything left comes out in order, removed entries never.
  h.expire(max_ns);
  BOOST_TEST(h.model_empty());
  BOOST_TEST(h.wheel().empty());
}

BOOST_AUTO_TEST_CASE(next_expiry_driven_loop_makes_progress)
{
  // The scheduler's loop: sleep for next_expiry_ns, wake, expire, repeat.
  for (int with_removals = 0; with_removals < 2; ++with_removals)
  {
    const std::size_t n = 5000;
    const std::int64_t t0 = 3 * sec + 7;
    prng rng{0x13198A2E03707344ull + static_cast<std::uint64_t>(with_removals)};
    harness h(t0, n);
    for (std::size_t i = 0; i < n; ++i)
    {
      std::int64_t deadline = t0 + rng.log_uniform(45);
      if (i > 0 && rng.chance(10))
        deadline = h.at(rng.below(i)).deadline_ns + rng.range(0, 3);
      h.insert(i, deadline);
    }
    if (with_removals != 0)
      for (std::size_t i = 0; i < n / 4; ++i)
      {
        const std::size_t id = rng.below(n);
        if (h.state(id) == harness::in_wheel)
          h.remove(id);
      }

    std::size_t wakes = 0, spurious = 0;
    for (;;)
    {
      const std::int64_t r = h.check_next_expiry(h.now(), with_removals == 0);
      if (r < 0)
        break;
      const std::size_t out = h.expire(h.now() + r);
      ++wakes;
      if (out == 0)
        ++spurious;
      if (with_removals != 0 && wakes % 8 == 0)
        for (int k = 0; k < 3; ++k)
        {
          const std::size_t id = rng.below(n);
          if (h.state(id) == harness::in_wheel)
            h.remove(id);
        }
      BOOST_REQUIRE(wakes < 4 * n);
    }
    BOOST_TEST_MESSAGE("with_removals=" << with_removals << ": " << wakes << " wakes, " << spurious
                                        << " spurious, " << h.removed_count() << " removed");
    BOOST_TEST(h.model_empty());
    BOOST_TEST(h.fired_order().size() + h.removed_count() == n);
    if (with_removals == 0)
      BOOST_TEST(spurious == 0u); // exact bound: every wake-up finds work
    else
    {
      BOOST_TEST(h.removed_count() > n / 5);
      // Only a removal can make the bound stale, and the wake-up it causes consumes it.
      BOOST_TEST(spurious <= h.removed_count());
    }
  }
}

BOOST_AUTO_TEST_CASE(deadlines_far_beyond_the_top_level)
{
  const std::int64_t t0 = 7 * sec + 1;
  const std::vector<std::int64_t> base{
      t0 + 1 * ms,
      t0 + 50 * day,
      t0 + wheel_range_ns - ms,
      t0 + wheel_range_ns - 1,
      t0 + wheel_range_ns,
      t0 + wheel_range_ns + 1,
      t0 + wheel_range_ns + ms,
      t0 + 2 * wheel_range_ns + 5 * ms,
      t0 + 3 * year,
      t0 + 10 * year,
      t0 + 10 * year + 1,
      t0 + 10 * year, // duplicate
      t0 + 100 * year + 12345,
      t0 + 250 * year,
      max_ns - ms,
      max_ns - 1,
      max_ns,
      max_ns, // duplicate
  };
  std::vector<std::int64_t> sorted = base;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  // 1. Walk to each deadline: 1 ns before it nothing more fires, at it, it does.
  {
    harness h(t0, base.size());
    for (std::size_t i = 0; i < base.size(); ++i)
      h.insert(i, base[i]);
    h.check_next_expiry(t0, true);
    BOOST_TEST(h.wheel().next_expiry_ns(t0) == ms);
    for (std::int64_t d : sorted)
    {
      h.expire(d - 1);
      h.check_next_expiry(d - 1, true);
      BOOST_TEST(h.wheel().next_expiry_ns(d - 1) == 1);
      BOOST_TEST(h.expire(d) >= 1u);
      h.check_next_expiry(d, true);
      h.check_size();
    }
    BOOST_TEST(h.model_empty());
    BOOST_TEST(h.fired_order().size() == base.size());
  }
  // 2. Random jumps of up to decades.
  {
    prng rng{0xA4093822299F31D0ull};
    harness h(t0, base.size() * 20);
    for (std::size_t i = 0; i < base.size() * 20; ++i)
      h.insert(i, base[i % base.size()] - (i < base.size() ? 0 : rng.range(0, 2 * ms)));
    std::size_t calls = 0;
    while (!h.model_empty())
    {
      const std::int64_t now = h.now();
      const std::int64_t step = rng.log_uniform(61);
      h.expire(step > max_ns - now ? max_ns : now + step);
      h.check_next_expiry(h.now(), true);
      BOOST_REQUIRE(++calls < 100000u);
    }
    BOOST_TEST(calls > 50u);
  }
  // 3. One call that jumps to the end of time.
  {
    harness h(t0, base.size());
    for (std::size_t i = 0; i < base.size(); ++i)
      h.insert(i, base[i]);
    BOOST_TEST(h.expire(max_ns) == base.size());
    BOOST_TEST(h.wheel().empty());
  }
  // 4. The next_expiry distance to INT64_MAX does not overflow.
  {
    timer_wheel w(t0);
    item it;
    it.deadline_ns = max_ns;
    w.insert(it);
    BOOST_TEST(w.next_expiry_ns(t0) == max_ns - t0);
    BOOST_TEST(drain(w, max_ns - 1).empty());
    BOOST_TEST(w.next_expiry_ns(max_ns - 1) == 1);
    BOOST_TEST(drain(w, max_ns).size() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(now_jumps_by_hours_in_one_call)
{
  const std::int64_t t0 = 12 * hour + 345;
  prng rng{0x082EFA98EC4E6C89ull};
  const std::size_t n = 4000;
  harness h(t0, n + 64);
  const std::size_t in_range = 3500; // the first 3500 are due by t0 + 6 h, the rest after
  for (std::size_t i = 0; i < n; ++i)
  {
    std::int64_t d;
    const unsigned kind = static_cast<unsigned>(rng.below(100));
    if (i >= in_range)
      d = t0 + 6 * hour + rng.range(1, 2 * hour);
    else if (i == 0)
      d = t0 + 6 * hour; // exactly the jump target
    else if (kind < 40)
      d = t0 + rng.range(0, 6 * hour);
    else if (kind < 55)
      d = t0 + rng.range(0, 6 * hour) / ms * ms; // on a tick
    else if (kind < 60)
      d = h.at(rng.below(i)).deadline_ns; // a duplicate
    else
      d = t0 + rng.log_uniform(44) % (6 * hour + 1);
    h.insert(i, d);
  }
  BOOST_TEST(h.expire(t0 + 6 * hour) == in_range);
  h.check_next_expiry(h.now(), true);
  h.check_size();

  // The wheel stays consistent after the jump: fresh entries fire on time.
  const std::int64_t now = h.now();
  const std::int64_t offsets[] = {300 * us, 1 * ms, 64 * ms, 4100 * ms, 2 * hour, 9 * hour, 1};
  std::size_t id = n;
  for (std::int64_t off : offsets)
    h.insert(id++, now + off);
  while (!h.model_empty())
  {
    h.expire(h.now() + rng.log_uniform(33));
    h.check_next_expiry(h.now(), true);
  }
  BOOST_TEST(h.fired_order().size() == id);
}

BOOST_AUTO_TEST_CASE(insert_after_long_idle_period)
{
  const std::int64_t t0 = 5 * sec + 321;
  {
    harness h(t0, 16);
    h.insert(0, t0 + 10 * ms);
    BOOST_TEST(h.expire(t0 + 10 * ms) == 1u);

    // Three days without a single expire() call; the wheel's own notion of now is stale.
    const std::int64_t now = t0 + 3 * day + 400 * us;
    const std::int64_t offsets[] = {-2 * ms, 500 * us, 1 * ms, 5 * ms, 2 * sec, hour, hour, 40 * day, 3 * year};
    std::size_t id = 1;
    for (std::int64_t off : offsets)
      h.insert(id++, now + off);
    BOOST_TEST(h.check_next_expiry(now, true) == 0); // the one already in the past
    BOOST_TEST(h.expire(now) == 1u);
    BOOST_TEST(h.check_next_expiry(now, true) == 500 * us);
    while (!h.model_empty())
    {
      h.expire(h.now() + (h.now() < now + 10 * ms ? 100 * us : h.wheel().next_expiry_ns(h.now())));
      h.check_next_expiry(h.now(), true);
    }
    BOOST_TEST(h.fired_order().size() == id);
  }
  {
    // A wheel that was never advanced at all.
    timer_wheel w(t0);
    const std::int64_t now = t0 + 7 * day + 123;
    item it;
    it.deadline_ns = now + 5 * ms;
    w.insert(it);
    BOOST_TEST(w.next_expiry_ns(now) == 5 * ms);
    BOOST_TEST(drain(w, now + 5 * ms - 1).empty());
    BOOST_TEST(w.next_expiry_ns(now + 5 * ms - 1) == 1);
    BOOST_TEST(drain(w, now + 5 * ms).size() == 1u);
    BOOST_TEST(w.empty());
  }
}

BOOST_AUTO_TEST_CASE(no_heap_allocation_in_steady_state)
{
  // The counters must see an allocation when there is one, or the test below proves nothing.
  g_news = 0;
  g_deletes = 0;
  g_counting = true;
  void* volatile probe = ::operator new(24);
  ::operator delete(probe);
  g_counting = false;
  BOOST_TEST(g_news.load() == 1);
  BOOST_TEST(g_deletes.load() == 1);

  const std::int64_t t0 = 42 * sec;
  const std::size_t n = 4096;
  std::vector<item> items(n);
  timer_wheel w(t0);
  prng rng{0x452821E638D01377ull};
  for (std::size_t i = 0; i < n; ++i)
  {
    items[i].id = i;
    items[i].deadline_ns = t0 + rng.log_uniform(42);
    w.insert(items[i]);
  }

  std::int64_t now = t0;
  long inserts = 0, removes = 0, expired = 0, sum = 0;
  g_news = 0;
  g_deletes = 0;
  g_counting = true;
  for (int step = 0; step < 200000; ++step)
  {
    item& it = items[rng.below(n)];
    const unsigned op = static_cast<unsigned>(rng.below(100));
    if (op < 40)
    {
      if (it.linked())
      {
        w.remove(it);
        ++removes;
      }
      it.deadline_ns = now + (rng.chance(10) ? -rng.log_uniform(20) : rng.log_uniform(42));
      w.insert(it);
      ++inserts;
    }
    else if (op < 55)
    {
      if (it.linked())
      {
        w.remove(it);
        ++removes;
      }
    }
    else
    {
      now += rng.log_uniform(30);
      wheel_entry_list out;
      w.expire(now, out);
      while (!out.empty())
      {
        out.pop_front();
        ++expired;
      }
      sum += w.next_expiry_ns(now) > 0 ? 1 : 0;
    }
  }
  g_counting = false;
  const long news = g_news.load(), deletes = g_deletes.load();
  BOOST_TEST_MESSAGE("steady state: " << inserts << " inserts, " << removes << " removes, " << expired
                                      << " expired, " << sum << " positive next_expiry");
  BOOST_TEST(news == 0);
  BOOST_TEST(deletes == 0);
  BOOST_TEST(inserts > 50000);
  BOOST_TEST(removes > 5000);
  BOOST_TEST(expired > 20000);
  for (item& it : items)
    if (it.linked())
      w.remove(it);
  BOOST_TEST(w.empty());
}
