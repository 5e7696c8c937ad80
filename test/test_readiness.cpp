// White-box test of the epoll backend's packed readiness: a stale EAGAIN must never clear
// readiness that an event delivered after the operation read its snapshot.
#define BOOST_TEST_MODULE readiness
#include <boost/test/unit_test.hpp>

#include "../libs/epoll/readiness.hpp"

#include <atomic>
#include <thread>

using blitz::detail::readiness;

BOOST_AUTO_TEST_CASE(new_descriptor_is_assumed_ready)
{
  readiness r;
  BOOST_TEST((r.load() & readiness::readable) != 0u);
  BOOST_TEST((r.load() & readiness::writable) != 0u);
}

BOOST_AUTO_TEST_CASE(clear_with_current_tick_clears_only_that_direction)
{
  readiness r;
  std::uint32_t seen = r.load();
  BOOST_TEST(r.clear(readiness::readable, seen));
  BOOST_TEST((r.load() & readiness::readable) == 0u);
  BOOST_TEST((r.load() & readiness::writable) != 0u);
}

BOOST_AUTO_TEST_CASE(stale_clear_does_not_erase_newer_event)
{
  readiness r;
  std::uint32_t seen = r.load();          // op reads readiness, then its syscall gets EAGAIN
  r.set(readiness::readable);             // meanwhile an event arrives
  BOOST_TEST(!r.clear(readiness::readable, seen)); // the op's clear must fail...
  BOOST_TEST((r.load() & readiness::readable) != 0u); // ...and readiness survive
  BOOST_TEST(readiness::tick_of(r.load()) != readiness::tick_of(seen));
}

BOOST_AUTO_TEST_CASE(closed_and_error_bits_are_sticky)
{
  readiness r;
  r.set(readiness::read_closed | readiness::error);
  std::uint32_t seen = r.load();
  BOOST_TEST(r.clear(readiness::readable | readiness::read_closed | readiness::error, seen));
  BOOST_TEST((r.load() & readiness::read_closed) != 0u);
  BOOST_TEST((r.load() & readiness::error) != 0u);
}

BOOST_AUTO_TEST_CASE(tick_wraps_without_losing_bits)
{
  readiness r;
  for (int i = 0; i < 1000; ++i)
    r.set(readiness::writable);
  BOOST_TEST((r.load() & readiness::writable) != 0u);
  BOOST_TEST(readiness::tick_of(r.load()) == static_cast<std::uint8_t>(1000 % 256));
}

BOOST_AUTO_TEST_CASE(concurrent_set_and_clear_never_lose_the_last_event)
{
  // One thread plays the reaper (set), one the op (snapshot, clear, and re-check). After
  // the reaper's final set, readiness must be observed by the op.
  for (int round = 0; round < 200; ++round)
  {
    readiness r;
    std::atomic<bool> done{false};
    std::thread reaper([&] {
      for (int i = 0; i < 200; ++i)
        r.set(readiness::readable);
      done = true;
    });
    while (!done.load())
    {
      std::uint32_t seen = r.load();
      r.clear(readiness::readable, seen);
    }
    reaper.join();
    // The last set happened-before done: a clear after it needs the newest tick, so
    // at most one more clear can succeed, and only with a snapshot taken after that set.
    std::uint32_t seen = r.load();
    (void)seen;
    r.set(readiness::readable);
    BOOST_TEST(!r.clear(readiness::readable, seen));
  }
}
