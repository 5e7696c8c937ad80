// deadline_timer: Asio's Boost.DateTime timer, as legacy code uses it.
#define BOOST_TEST_MODULE deadline_timer
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <vector>

namespace pt = boost::posix_time;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(fires_after_its_duration_with_success)
{
  blitz::io_context ctx;
  auto start = steady::now();
  blitz::deadline_timer t(ctx, pt::milliseconds(60));
  int fired = 0;
  boost::system::error_code got = blitz::error::operation_aborted;
  steady::time_point at{};
  t.async_wait([&](const boost::system::error_code& ec) {
    got = ec;
    at = steady::now();
    ++fired;
  });
  ctx.run();
  BOOST_TEST(fired == 1);
  BOOST_TEST(!got);
  BOOST_TEST((at - start >= 59ms)); // never early (a microsecond of rounding allowed)
}

BOOST_AUTO_TEST_CASE(expiry_reads_back_as_set)
{
  blitz::io_context ctx;
  blitz::deadline_timer t(ctx);
  BOOST_TEST(t.expires_at().is_not_a_date_time());
  pt::ptime when = pt::microsec_clock::universal_time() + pt::seconds(30);
  BOOST_TEST(t.expires_at(when) == 0u);
  BOOST_TEST((t.expires_at() == when));
  pt::time_duration left = t.expires_from_now();
  BOOST_TEST((left <= pt::seconds(30)));
  BOOST_TEST((left > pt::seconds(25)));
  t.expires_from_now(pt::minutes(2));
  BOOST_TEST((t.expires_from_now() > pt::seconds(110)));
}

BOOST_AUTO_TEST_CASE(cancel_and_new_expiry_abort_pending_waits)
{
  blitz::io_context ctx;
  blitz::deadline_timer t(ctx, pt::hours(1));
  std::vector<boost::system::error_code> results;
  for (int i = 0; i < 3; ++i)
    t.async_wait([&](const boost::system::error_code& ec) { results.push_back(ec); });
  BOOST_TEST(t.cancel_one() == 1u);
  BOOST_TEST(t.expires_from_now(pt::hours(2)) == 2u); // the other two
  t.async_wait([&](const boost::system::error_code& ec) { results.push_back(ec); });
  BOOST_TEST(t.cancel() == 1u);
  ctx.run();
  BOOST_REQUIRE(results.size() == 4u);
  for (const auto& ec : results)
    BOOST_TEST((ec == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(infinities_and_the_past)
{
  blitz::io_context ctx;
  // A timer never given an expiry, one in the past and one at neg_infin complete at once.
  blitz::deadline_timer unset(ctx);
  blitz::deadline_timer past(ctx, pt::microsec_clock::universal_time() - pt::hours(5));
  blitz::deadline_timer neg(ctx, pt::ptime(pt::neg_infin));
  // pos_infin never does.
  blitz::deadline_timer never(ctx, pt::ptime(pt::pos_infin));
  int done = 0;
  boost::system::error_code never_ec;
  bool never_fired = false;
  for (auto* t : {&unset, &past, &neg})
    t->async_wait([&](const boost::system::error_code& ec) {
      BOOST_TEST(!ec);
      ++done;
    });
  never.async_wait([&](const boost::system::error_code& ec) {
    never_ec = ec;
    never_fired = true;
  });
  ctx.run_for(300ms);
  BOOST_TEST(done == 3);
  BOOST_TEST(!never_fired);
  BOOST_TEST(never.expires_at().is_pos_infinity());
  never.cancel();
  ctx.restart();
  ctx.run();
  BOOST_TEST(never_fired);
  BOOST_TEST((never_ec == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(synchronous_wait_blocks_until_the_expiry)
{
  blitz::io_context ctx;
  auto start = steady::now();
  blitz::deadline_timer t(ctx, pt::milliseconds(40));
  t.wait();
  BOOST_TEST((steady::now() - start >= 39ms));
  BOOST_TEST((t.expires_from_now() <= pt::time_duration())); // due or past
  boost::system::error_code ec = blitz::error::operation_aborted;
  t.wait(ec); // already expired: returns at once
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(a_pending_wait_moves_with_the_timer)
{
  blitz::io_context ctx;
  blitz::deadline_timer a(ctx, pt::milliseconds(20));
  int fired = 0;
  a.async_wait([&](const boost::system::error_code& ec) {
    BOOST_TEST(!ec);
    ++fired;
  });
  blitz::deadline_timer b(std::move(a));
  BOOST_TEST((b.expires_from_now() <= pt::milliseconds(20)));
  ctx.run();
  BOOST_TEST(fired == 1);
}

namespace {

// A ptime clock that can be set, through the traits a program may supply.
struct settable_traits : blitz::time_traits<pt::ptime>
{
  static std::atomic<long long> offset_us;
  static time_type now()
  {
    return pt::microsec_clock::universal_time() + pt::microseconds(offset_us.load());
  }
};
std::atomic<long long> settable_traits::offset_us{0};

} // namespace

// The deadline is by the traits' clock, which can be set: set forward past the expiry, the
// timer fires within the scheduler's re-check interval instead of an hour later, while a
// timer still ahead of the new time keeps waiting.
BOOST_AUTO_TEST_CASE(clock_set_forward_past_the_expiry_fires_the_timer)
{
  using timer = blitz::basic_deadline_timer<pt::ptime, settable_traits>;
  blitz::io_context ctx;
  timer t(ctx, pt::hours(1));
  timer later(ctx, pt::hours(3));
  int fired = 0, later_fired = 0;
  t.async_wait([&](const boost::system::error_code& ec) {
    BOOST_TEST(!ec);
    ++fired;
  });
  later.async_wait([&](const boost::system::error_code&) { ++later_fired; });
  blitz::steady_timer jump(ctx, 50ms);
  jump.async_wait([](const boost::system::error_code&) {
    settable_traits::offset_us += 3601LL * 1000000;
  });
  const std::int64_t recheck_ns = blitz::detail::scheduler::clock_recheck_ns;
  ctx.run_for(std::chrono::nanoseconds(recheck_ns) + 2s);
  BOOST_TEST(fired == 1);
  BOOST_TEST(later_fired == 0);
  later.cancel();
  ctx.restart();
  ctx.run();
  BOOST_TEST(later_fired == 1);
}

// As legacy code writes it: io_service, a handler bound to a member-like lambda, re-armed
// from its own expiry (expires_at += period keeps the schedule free of drift).
BOOST_AUTO_TEST_CASE(periodic_rearm_from_the_previous_expiry)
{
  blitz::io_service io;
  auto start = steady::now();
  blitz::deadline_timer t(io, pt::milliseconds(10));
  int ticks = 0;
  std::function<void(const boost::system::error_code&)> tick =
      [&](const boost::system::error_code& ec) {
        if (ec || ++ticks == 5)
          return;
        t.expires_at(t.expires_at() + pt::milliseconds(10));
        t.async_wait(tick);
      };
  t.async_wait(tick);
  io.run();
  BOOST_TEST(ticks == 5);
  BOOST_TEST((steady::now() - start >= 49ms));
}

// An expiry no clock reaches sits in the wheel as "never": it does not wake the context
// every second to look at the clock.
BOOST_AUTO_TEST_CASE(a_timer_that_never_expires_does_not_wake_the_context)
{
  blitz::io_context ctx;
  blitz::deadline_timer t(ctx, pt::ptime(pt::pos_infin));
  bool fired = false;
  t.async_wait([&](const boost::system::error_code&) { fired = true; });
  ctx.run_for(2500ms);
  BOOST_TEST(!fired);
  BOOST_TEST(ctx.metrics().waits <= 2u); // one wait to run_for's end (a spurious wakeup at most)
  t.cancel();
  ctx.restart();
  ctx.run();
  BOOST_TEST(fired);
}
