// futex_mutex, the lock around the io_uring SQ, the timer wheel and the scheduler's queue:
// mutual exclusion under contention from more threads than cores, waiters that sleep in
// the kernel being woken, and try_lock. futex_condition, the scheduler's wait on it: no
// notification lost, notify_all waking everyone, and timeouts. Also run under TSan
// (tools/test --tsan), which checks that a critical section happens-before the next one
// through the mutex's own atomics.
#define BOOST_TEST_MODULE futex_mutex
#include <boost/test/unit_test.hpp>

#include <blitz/detail/futex_condition.hpp>
#include <blitz/detail/futex_mutex.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using blitz::detail::futex_condition;
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

namespace {

std::int64_t ns(std::chrono::steady_clock::duration d)
{
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

} // namespace

BOOST_AUTO_TEST_CASE(condition_ping_pong_loses_no_notification)
{
  // Two threads take turns, each waiting for the other's move under the mutex. A lost
  // notification leaves a waiter asleep until its 2 s timeout, which ends the game: every
  // wait must end well before that, and all the moves must happen.
  futex_mutex m;
  futex_condition c;
  int turn = 0; // even: main's move, odd: the other thread's
  constexpr int moves = 20000;
  bool lost = false;
  auto play = [&](int parity) {
    for (int i = parity; i < moves; i += 2)
    {
      std::unique_lock<futex_mutex> lock(m);
      while (turn != i && !lost)
      {
        auto start = std::chrono::steady_clock::now();
        c.wait_for(lock, ns(2s));
        if (std::chrono::steady_clock::now() - start > 1s)
          lost = true;
      }
      if (lost)
        break;
      ++turn;
      lock.unlock();
      c.notify_one();
    }
    c.notify_one(); // a player that stops early must not strand the other
  };
  std::thread other(play, 1);
  play(0);
  other.join();
  BOOST_TEST(!lost);
  BOOST_TEST(turn == moves);
}

BOOST_AUTO_TEST_CASE(condition_notify_all_wakes_every_waiter)
{
  futex_mutex m;
  futex_condition c;
  bool go = false;
  int waiting = 0;
  std::atomic<int> woken{0};
  bool stuck = false;
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i)
    ts.emplace_back([&] {
      std::unique_lock<futex_mutex> lock(m);
      ++waiting;
      auto start = std::chrono::steady_clock::now();
      while (!go)
      {
        // Only notify_all ends this in time; a waiter it missed stays until the timeout.
        c.wait_for(lock, ns(2s));
        if (std::chrono::steady_clock::now() - start > 1s)
          stuck = true;
      }
      woken.fetch_add(1);
    });
  for (;;)
  {
    std::this_thread::sleep_for(10ms);
    std::lock_guard<futex_mutex> lock(m);
    if (waiting == 3)
      break;
  }
  std::this_thread::sleep_for(50ms); // all three asleep in the kernel by now
  BOOST_TEST(woken.load() == 0);
  {
    std::lock_guard<futex_mutex> lock(m);
    go = true;
  }
  c.notify_all();
  for (auto& t : ts)
    t.join();
  BOOST_TEST(woken.load() == 3);
  BOOST_TEST(!stuck);
}

BOOST_AUTO_TEST_CASE(condition_wait_with_timeout_returns_holding_the_lock)
{
  futex_mutex m;
  futex_condition c;
  std::unique_lock<futex_mutex> lock(m);
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + 30ms;
  // Spurious wakeups are allowed: wait out the remainder until the deadline passes. A
  // remainder that is negative by the time of the call (the thread was preempted) must
  // return at once, not wait for ever.
  for (;;)
  {
    auto left = deadline - std::chrono::steady_clock::now();
    c.wait_for(lock, ns(left));
    if (left <= std::chrono::steady_clock::duration::zero())
      break;
  }
  BOOST_TEST(lock.owns_lock());
  bool other = true;
  std::thread([&] { other = m.try_lock(); }).join();
  BOOST_TEST(!other); // retaken, not merely marked as owned
  // A notification with nobody waiting is not remembered: a later wait still times out.
  c.notify_one();
  start = std::chrono::steady_clock::now();
  c.wait_for(lock, ns(20ms));
  BOOST_TEST(ns(std::chrono::steady_clock::now() - start) >= ns(19ms));
  // A deadline already past does not block.
  start = std::chrono::steady_clock::now();
  c.wait_for(lock, -ns(1ms));
  BOOST_TEST(ns(std::chrono::steady_clock::now() - start) < ns(1s));
}
