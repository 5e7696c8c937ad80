// futex_mutex, the lock around the io_uring SQ and the timer wheel: mutual exclusion under
// contention from more threads than cores, waiters that sleep in the kernel being woken,
// and try_lock. Also run under TSan (tools/test --tsan), which checks that a critical
// section happens-before the next one through the mutex's own atomics.
#define BOOST_TEST_MODULE futex_mutex
#include <boost/test/unit_test.hpp>

#include <blitz/detail/futex_mutex.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using blitz::detail::futex_mutex;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(excludes_under_contention)
{
  // Four threads on two cores: holders get preempted inside the section, so waiters go
  // past the spin into the kernel. A plain (non-atomic) counter loses increments unless
  // every section is exclusive and ordered after the previous one.
  futex_mutex m;
  long counter = 0;
  long in_section = 0;
  bool overlapped = false;
  constexpr int threads = 4;
  constexpr int rounds = 100000;
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&] {
      for (int r = 0; r < rounds; ++r)
      {
        std::lock_guard<futex_mutex> lock(m);
        if (++in_section != 1)
          overlapped = true;
        ++counter;
        --in_section;
      }
    });
  for (auto& t : ts)
    t.join();
  BOOST_TEST(counter == long(threads) * rounds);
  BOOST_TEST(!overlapped);
}

BOOST_AUTO_TEST_CASE(sleeping_waiters_are_woken)
{
  // The holder keeps the lock far longer than the spin lasts: both waiters must sleep in
  // the kernel and each must be woken by an unlock, none lost.
  futex_mutex m;
  std::atomic<int> acquired{0};
  m.lock();
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i)
    ts.emplace_back([&] {
      m.lock();
      acquired.fetch_add(1);
      std::this_thread::sleep_for(20ms); // the other waiter is asleep meanwhile
      m.unlock();
    });
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(acquired.load() == 0);
  m.unlock();
  for (auto& t : ts)
    t.join();
  BOOST_TEST(acquired.load() == 2);
  BOOST_TEST(m.try_lock()); // left free, not stuck in the contended state
  m.unlock();
}

BOOST_AUTO_TEST_CASE(try_lock_fails_while_held_by_another_thread)
{
  futex_mutex m;
  BOOST_TEST(m.try_lock());
  bool other = true;
  std::thread([&] { other = m.try_lock(); }).join();
  BOOST_TEST(!other);
  m.unlock();
  std::thread([&] {
    other = m.try_lock();
    if (other)
      m.unlock();
  }).join();
  BOOST_TEST(other);
}
