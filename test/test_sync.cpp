// async_semaphore, async_mutex, notify and channel<T>: order, fairness, backpressure,
// close and cancel, work accounting, and the same under threads (also a TSan suite).
#define BOOST_TEST_MODULE sync
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using boost::system::error_code;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Keeps one receive pending on `from` (a channel or a broadcast receiver) until a receive
// ends with an error, collecting the values in order.
template <class Receiver>
void receive_until_error(Receiver& from, std::vector<int>& got)
{
  from.async_receive([&from, &got](const error_code& ec, int v) {
    if (ec)
      return;
    got.push_back(v);
    receive_until_error(from, got);
  });
}

} // namespace

BOOST_AUTO_TEST_SUITE(semaphore)

BOOST_AUTO_TEST_CASE(free_permit_completes_from_run_not_inline)
{
  blitz::io_context ctx;
  blitz::async_semaphore sem(ctx, 1);
  int done = 0;
  sem.async_acquire([&](const error_code& ec) {
    BOOST_TEST(!ec);
    ++done;
  });
  BOOST_TEST(done == 0); // never inside the initiating call
  BOOST_TEST(sem.available() == 0u);
  ctx.run();
  BOOST_TEST(done == 1);
}

BOOST_AUTO_TEST_CASE(waiters_get_permits_in_arrival_order_and_cannot_be_overtaken)
{
  blitz::io_context ctx;
  blitz::async_semaphore sem(ctx, 0);
  std::vector<int> order;
  for (int i = 0; i < 5; ++i)
    sem.async_acquire([&order, i](const error_code& ec) {
      BOOST_TEST(!ec);
      order.push_back(i);
    });
  sem.release(2);
  ctx.run_for(50ms); // run() would wait on: the other three are outstanding work
  BOOST_TEST((order == std::vector<int>{0, 1}));
  BOOST_TEST(sem.available() == 0u);
  BOOST_TEST(!sem.try_acquire()); // three still queued: no barging
  sem.release(5);
  ctx.restart();
  ctx.run();
  BOOST_TEST((order == std::vector<int>{0, 1, 2, 3, 4}));
  BOOST_TEST(sem.available() == 2u);
  BOOST_TEST(sem.try_acquire());
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(cancel_and_destruction_abort_waiters)
{
  blitz::io_context ctx;
  std::vector<error_code> results;
  {
    blitz::async_semaphore sem(ctx, 0);
    for (int i = 0; i < 3; ++i)
      sem.async_acquire([&](const error_code& ec) { results.push_back(ec); });
    BOOST_TEST(sem.cancel() == 3u);
    sem.async_acquire([&](const error_code& ec) { results.push_back(ec); });
  } // destroyed with one waiter
  ctx.run();
  BOOST_REQUIRE(results.size() == 4u);
  for (const auto& ec : results)
    BOOST_TEST((ec == blitz::error::operation_aborted));
}

// A queued acquire is outstanding work: run() waits for it rather than returning.
BOOST_AUTO_TEST_CASE(run_waits_for_a_queued_acquire)
{
  blitz::io_context ctx;
  blitz::async_semaphore sem(ctx, 0);
  int done = 0;
  sem.async_acquire([&](const error_code& ec) {
    BOOST_TEST(!ec);
    ++done;
  });
  auto start = steady::now();
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    sem.release();
  });
  ctx.run();
  releaser.join();
  BOOST_TEST(done == 1);
  BOOST_TEST((steady::now() - start >= 45ms));
}

// Started from a handler, on the thread running the context, the acquire still completes
// later, from the queue: never inside the initiating call.
BOOST_AUTO_TEST_CASE(acquire_started_in_a_handler_does_not_complete_inline)
{
  blitz::io_context ctx;
  blitz::async_semaphore sem(ctx, 1);
  std::vector<int> order;
  blitz::post(ctx, [&] {
    sem.async_acquire([&](const error_code& ec) {
      BOOST_TEST(!ec);
      order.push_back(2);
    });
    order.push_back(1);
  });
  ctx.run();
  BOOST_TEST((order == std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mutex)

// Critical sections that span an asynchronous hop (a post) never overlap, with two threads
// running the context and lockers arriving from both.
BOOST_AUTO_TEST_CASE(critical_sections_never_overlap_across_threads)
{
  blitz::io_context ctx;
  blitz::async_mutex m(ctx);
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> completed{0};
  long long guarded = 0; // only touched under the lock: TSan checks the hand-over
  const int lockers = 4000;
  auto work = blitz::make_work_guard(ctx);
  std::atomic<int> errors{0}; // Boost.Test's assertions are not for other threads
  std::function<void()> lock_once = [&] {
    m.async_lock([&](const error_code& ec) {
      if (ec)
        ++errors;
      if (inside.fetch_add(1) != 0)
        ++overlaps;
      ++guarded;
      blitz::post(ctx, [&] {
        ++guarded;
        inside.fetch_sub(1);
        m.unlock();
        if (completed.fetch_add(1) + 1 == lockers)
          work.reset();
      });
    });
  };
  for (int i = 0; i < lockers / 2; ++i)
    blitz::post(ctx, lock_once);
  std::thread other([&] {
    for (int i = 0; i < lockers / 2; ++i)
      blitz::post(ctx, lock_once);
  });
  std::thread runner([&] { ctx.run(); });
  ctx.run();
  runner.join();
  other.join();
  BOOST_TEST(completed.load() == lockers);
  BOOST_TEST(errors.load() == 0);
  BOOST_TEST(overlaps.load() == 0);
  BOOST_TEST(guarded == 2LL * lockers);
  BOOST_TEST(m.try_lock());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(notify_suite)

BOOST_AUTO_TEST_CASE(a_notification_before_the_wait_is_kept_once)
{
  blitz::io_context ctx;
  blitz::notify n(ctx);
  n.notify_one();
  n.notify_one(); // at most one permit
  int woken = 0;
  n.async_wait([&](const error_code& ec) {
    BOOST_TEST(!ec);
    ++woken;
  });
  error_code second_ec;
  n.async_wait([&](const error_code& ec) {
    second_ec = ec;
    ++woken;
  });
  ctx.run_for(100ms);
  BOOST_TEST(woken == 1);
  BOOST_TEST(n.cancel() == 1u);
  ctx.restart();
  ctx.run();
  BOOST_TEST(woken == 2);
  BOOST_TEST((second_ec == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(notify_all_wakes_current_waiters_and_stores_nothing)
{
  blitz::io_context ctx;
  blitz::notify n(ctx);
  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    n.async_wait([&order, i](const error_code& ec) {
      BOOST_TEST(!ec);
      order.push_back(i);
    });
  BOOST_TEST(n.notify_all() == 3u);
  ctx.run();
  BOOST_TEST((order == std::vector<int>{0, 1, 2}));
  bool late = false;
  n.async_wait([&](const error_code& ec) { late = !ec; });
  ctx.restart();
  ctx.run_for(50ms);
  BOOST_TEST(!late); // notify_all left no permit behind
  n.notify_one();
  ctx.restart();
  ctx.run();
  BOOST_TEST(late);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(channel_suite)

BOOST_AUTO_TEST_CASE(values_arrive_in_order_and_a_full_buffer_holds_senders_back)
{
  blitz::io_context ctx;
  blitz::channel<int> ch(ctx, 4);
  std::vector<int> sent_ok;
  for (int i = 0; i < 6; ++i)
    ch.async_send(i, [&sent_ok, i](const error_code& ec) {
      BOOST_TEST(!ec);
      sent_ok.push_back(i);
    });
  ctx.run_for(50ms);
  BOOST_TEST((sent_ok == std::vector<int>{0, 1, 2, 3})); // 4 and 5 wait for room
  BOOST_TEST(ch.size() == 4u);
  int v = -1;
  BOOST_TEST(!ch.try_send(99)); // full
  BOOST_TEST(ch.try_receive(v));
  BOOST_TEST(v == 0);
  std::vector<int> got;
  receive_until_error(ch, got);
  ctx.restart();
  ctx.run_for(100ms);
  BOOST_TEST((got == std::vector<int>{1, 2, 3, 4, 5}));
  BOOST_TEST((sent_ok == std::vector<int>{0, 1, 2, 3, 4, 5}));
  ch.close(); // ends the pending receive
  ctx.restart();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(a_rendezvous_send_completes_only_when_received)
{
  blitz::io_context ctx;
  blitz::channel<std::string> ch(ctx, 0);
  bool sent = false;
  ch.async_send(std::string("hello"), [&](const error_code& ec) {
    BOOST_TEST(!ec);
    sent = true;
  });
  ctx.run_for(50ms);
  BOOST_TEST(!sent);
  BOOST_TEST(!ch.try_send(std::string("no receiver")));
  std::string got;
  ch.async_receive([&](const error_code& ec, std::string s) {
    BOOST_TEST(!ec);
    got = std::move(s);
  });
  ctx.restart();
  ctx.run();
  BOOST_TEST(sent);
  BOOST_TEST(got == "hello");
}

BOOST_AUTO_TEST_CASE(close_drains_the_buffer_then_reports_closed)
{
  blitz::io_context ctx;
  blitz::channel<int> ch(ctx, 2);
  std::vector<error_code> send_results;
  for (int i = 0; i < 3; ++i) // the third waits for room
    ch.async_send(i, [&](const error_code& ec) { send_results.push_back(ec); });
  ch.close();
  BOOST_TEST(!ch.is_open());
  ch.async_send(7, [&](const error_code& ec) { send_results.push_back(ec); });
  BOOST_TEST(!ch.try_send(8));
  std::vector<int> got;
  error_code last;
  std::function<void()> receive = [&] {
    ch.async_receive([&](const error_code& ec, int x) {
      if (ec)
      {
        last = ec;
        BOOST_TEST(x == 0);
        return;
      }
      got.push_back(x);
      receive();
    });
  };
  receive();
  ctx.run();
  BOOST_TEST((got == std::vector<int>{0, 1}));
  BOOST_TEST((last == blitz::error::channel_closed));
  BOOST_REQUIRE(send_results.size() == 4u);
  BOOST_TEST(!send_results[0]);
  BOOST_TEST(!send_results[1]);
  BOOST_TEST((send_results[2] == blitz::error::channel_closed));
  BOOST_TEST((send_results[3] == blitz::error::channel_closed));
  BOOST_TEST(last.message() == "Channel closed");
}

namespace {
struct counted
{
  static std::atomic<int> live;
  int v = 0;
  counted() { ++live; }
  explicit counted(int x) : v(x) { ++live; }
  counted(const counted& o) : v(o.v) { ++live; }
  counted(counted&& o) noexcept : v(o.v) { ++live; }
  counted& operator=(const counted&) = default;
  counted& operator=(counted&&) = default;
  ~counted() { --live; }
};
std::atomic<int> counted::live{0};
} // namespace

// cancel() keeps the buffer; destruction fails the waiting ops and frees every value,
// buffered or held by a waiting send.
BOOST_AUTO_TEST_CASE(cancel_and_destruction_fail_waiters_and_free_values)
{
  blitz::io_context ctx;
  std::vector<error_code> results;
  {
    blitz::channel<counted> ch(ctx, 1);
    ch.async_send(counted(1), [&](const error_code& ec) { results.push_back(ec); });
    ch.async_send(counted(2), [&](const error_code& ec) { results.push_back(ec); });
    BOOST_TEST(ch.cancel() == 1u); // the waiting send
    BOOST_TEST(ch.size() == 1u);
    ch.async_send(counted(3), [&](const error_code& ec) { results.push_back(ec); });
  }
  blitz::channel<counted> empty(ctx, 1);
  counted got(42);
  error_code receive_ec;
  empty.async_receive([&](const error_code& ec, counted c) {
    receive_ec = ec;
    got = c;
  });
  empty.cancel();
  ctx.run();
  BOOST_REQUIRE(results.size() == 3u);
  BOOST_TEST(!results[0]);
  BOOST_TEST((results[1] == blitz::error::channel_cancelled));
  BOOST_TEST((results[2] == blitz::error::channel_cancelled));
  BOOST_TEST((receive_ec == blitz::error::channel_cancelled));
  BOOST_TEST(got.v == 0); // value-initialised on failure
  BOOST_TEST(counted::live.load() == 1); // only `got`
}

BOOST_AUTO_TEST_CASE(try_send_copies_an_lvalue)
{
  blitz::io_context ctx;
  blitz::channel<std::string> a(ctx, 1), b(ctx, 1);
  std::string msg = "to everyone";
  BOOST_TEST(a.try_send(msg));
  BOOST_TEST(b.try_send(msg));
  BOOST_TEST(msg == "to everyone");
  std::string x, y;
  BOOST_TEST(a.try_receive(x));
  BOOST_TEST(b.try_receive(y));
  BOOST_TEST(x == "to everyone");
  BOOST_TEST(y == "to everyone");
}

namespace {
// Its copy throws when told to: a value handed over under the channel's lock can fail.
struct fragile
{
  static bool fail;
  int v = 0;
  fragile() = default;
  explicit fragile(int x) : v(x) {}
  fragile(const fragile& o) : v(o.v)
  {
    if (fail)
      throw std::runtime_error("copy failed");
  }
  fragile& operator=(const fragile& o)
  {
    if (fail)
      throw std::runtime_error("copy failed");
    v = o.v;
    return *this;
  }
};
bool fragile::fail = false;
} // namespace

// A value whose copy throws while being handed to a waiting receiver: the exception reaches
// the sender, and the receiver still waits and gets the next value.
BOOST_AUTO_TEST_CASE(a_throwing_value_loses_no_waiter)
{
  blitz::io_context ctx;
  blitz::channel<fragile> ch(ctx, 0);
  int got = -1;
  ch.async_receive([&](const error_code& ec, fragile f) {
    BOOST_TEST(!ec);
    got = f.v;
  });
  const fragile bad(1);
  fragile::fail = true;
  BOOST_CHECK_THROW(ch.try_send(bad), std::runtime_error);
  fragile::fail = false;
  const fragile good(2);
  BOOST_TEST(ch.try_send(good));
  ctx.run();
  BOOST_TEST(got == 2);
}

// A context destroyed while handlers wait on a channel destroys them: a session that owns
// the channel its own pending receive refers to is freed, not leaked in a cycle.
BOOST_AUTO_TEST_CASE(destroying_the_context_frees_parked_handlers)
{
  struct session
  {
    explicit session(blitz::io_context& ctx, bool& gone) : inbox(ctx, 4), gone_(gone) {}
    ~session() { gone_ = true; }
    blitz::channel<int> inbox;
    bool& gone_;
  };
  bool gone = false;
  {
    blitz::io_context ctx;
    auto s = std::make_shared<session>(ctx, gone);
    s->inbox.async_receive([s](const error_code&, int) {});
    s.reset();
    ctx.run_for(20ms);
    BOOST_TEST(!gone); // the pending receive keeps it alive
  }
  BOOST_TEST(gone);
}

// Against the rules (an io_context should outlive its objects), but idle primitives have
// always survived it: destroying them afterwards must not reach into the dead context.
BOOST_AUTO_TEST_CASE(an_idle_primitive_may_be_destroyed_after_its_context)
{
  std::unique_ptr<blitz::io_context> ctx(new blitz::io_context);
  std::unique_ptr<blitz::channel<int>> ch(new blitz::channel<int>(*ctx, 1));
  std::unique_ptr<blitz::async_mutex> m(new blitz::async_mutex(*ctx));
  BOOST_TEST(ch->try_send(1));
  ctx.reset();
  int v = 0;
  BOOST_TEST(ch->try_receive(v)); // nothing to wake: the context is not needed
  BOOST_TEST(v == 1);
  m.reset(); // ASan would catch any touch of the freed context here and below
  ch.reset();
}

BOOST_AUTO_TEST_CASE(move_only_values_and_the_handlers_executor)
{
  blitz::io_context ctx;
  blitz::channel<std::unique_ptr<int>> ch(ctx, 1);
  auto strand = blitz::make_strand(ctx);
  BOOST_TEST(ch.try_send(std::unique_ptr<int>(new int(5))));
  bool on_strand = false;
  int value = 0;
  ch.async_receive(blitz::bind_executor(strand, [&](const error_code& ec, std::unique_ptr<int> p) {
    BOOST_TEST(!ec);
    on_strand = strand.running_in_this_thread();
    value = *p;
  }));
  ctx.run();
  BOOST_TEST(on_strand);
  BOOST_TEST(value == 5);
}

// Several producers and consumers on two threads: every value is received exactly once,
// and closing ends every consumer.
BOOST_AUTO_TEST_CASE(many_producers_and_consumers_across_threads)
{
  blitz::io_context ctx;
  blitz::channel<int> ch(ctx, 8);
  const int producers = 4, per = 5000, consumers = 3;
  std::atomic<long long> sum{0};
  std::atomic<int> received{0};
  std::atomic<int> producers_done{0};
  std::atomic<int> consumers_closed{0};
  std::atomic<int> errors{0}; // Boost.Test's assertions are not for other threads
  std::vector<std::function<void(int)>> produce(producers);
  for (int p = 0; p < producers; ++p)
    produce[p] = [&, p](int i) {
      if (i == per)
      {
        if (producers_done.fetch_add(1) + 1 == producers)
          ch.close();
        return;
      }
      ch.async_send(p * per + i, [&, p, i](const error_code& ec) {
        if (ec)
        {
          ++errors;
          return;
        }
        produce[p](i + 1);
      });
    };
  std::function<void()> consume = [&] {
    ch.async_receive([&](const error_code& ec, int v) {
      if (ec)
      {
        if (ec != blitz::error::channel_closed)
          ++errors;
        ++consumers_closed;
        return;
      }
      sum += v;
      ++received;
      consume();
    });
  };
  for (int c = 0; c < consumers; ++c)
    blitz::post(ctx, consume);
  for (int p = 0; p < producers; ++p)
    blitz::post(ctx, [&, p] { produce[p](0); });
  std::thread runner([&] { ctx.run(); });
  ctx.run();
  runner.join();
  const long long n = static_cast<long long>(producers) * per;
  BOOST_TEST(errors.load() == 0);
  BOOST_TEST(received.load() == n);
  BOOST_TEST(sum.load() == n * (n - 1) / 2);
  BOOST_TEST(consumers_closed.load() == consumers);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rwlock)

// Readers share; a writer waits for them and then excludes everyone; a reader that comes
// after a waiting writer waits behind it (no writer starvation).
BOOST_AUTO_TEST_CASE(readers_share_and_a_waiting_writer_goes_first)
{
  blitz::io_context ctx;
  blitz::async_rwlock rw(ctx);
  std::vector<std::string> events;
  rw.async_read_lock([&](const error_code& ec) {
    BOOST_TEST(!ec);
    events.push_back("r1");
  });
  rw.async_read_lock([&](const error_code& ec) {
    BOOST_TEST(!ec);
    events.push_back("r2");
  });
  rw.async_write_lock([&](const error_code& ec) {
    BOOST_TEST(!ec);
    events.push_back("w");
  });
  rw.async_read_lock([&](const error_code& ec) {
    BOOST_TEST(!ec);
    events.push_back("r3");
  });
  ctx.run_for(50ms);
  BOOST_TEST((events == std::vector<std::string>{"r1", "r2"}));
  BOOST_TEST(!rw.try_read_lock()); // a writer is queued
  rw.read_unlock();
  ctx.restart();
  ctx.run_for(50ms);
  BOOST_TEST(events.size() == 2u); // one reader still in
  rw.read_unlock();
  ctx.restart();
  ctx.run_for(50ms);
  BOOST_TEST((events == std::vector<std::string>{"r1", "r2", "w"}));
  rw.write_unlock();
  ctx.restart();
  ctx.run();
  BOOST_TEST((events == std::vector<std::string>{"r1", "r2", "w", "r3"}));
  rw.read_unlock();
  BOOST_TEST(rw.try_write_lock());
  BOOST_TEST(!rw.try_read_lock());
  rw.async_read_lock([&](const error_code& ec) {
    BOOST_TEST((ec == blitz::error::operation_aborted));
    events.push_back("aborted");
  });
  BOOST_TEST(rw.cancel() == 1u);
  ctx.restart();
  ctx.run();
  BOOST_TEST(events.back() == "aborted");
}

// Two threads, readers and writers interleaved: a writer is never inside with anyone else.
BOOST_AUTO_TEST_CASE(writers_exclude_everyone_across_threads)
{
  blitz::io_context ctx;
  blitz::async_rwlock rw(ctx);
  std::atomic<int> readers{0}, writers{0}, violations{0}, done{0}, errors{0};
  const int total = 3000;
  auto work = blitz::make_work_guard(ctx);
  auto finish = [&] {
    if (done.fetch_add(1) + 1 == total)
      work.reset();
  };
  for (int i = 0; i < total; ++i)
  {
    if (i % 4 == 0)
      blitz::post(ctx, [&] {
        rw.async_write_lock([&](const error_code& ec) {
          if (ec)
            ++errors;
          if (writers.fetch_add(1) != 0 || readers.load() != 0)
            ++violations;
          blitz::post(ctx, [&] {
            writers.fetch_sub(1);
            rw.write_unlock();
            finish();
          });
        });
      });
    else
      blitz::post(ctx, [&] {
        rw.async_read_lock([&](const error_code& ec) {
          if (ec)
            ++errors;
          readers.fetch_add(1);
          if (writers.load() != 0)
            ++violations;
          blitz::post(ctx, [&] {
            readers.fetch_sub(1);
            rw.read_unlock();
            finish();
          });
        });
      });
  }
  std::thread t([&] { ctx.run(); });
  ctx.run();
  t.join();
  BOOST_TEST(done.load() == total);
  BOOST_TEST(errors.load() == 0);
  BOOST_TEST(violations.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(oneshot_and_watch)

BOOST_AUTO_TEST_CASE(oneshot_delivers_one_value_once)
{
  blitz::io_context ctx;
  blitz::oneshot<std::string> once(ctx);
  std::vector<std::string> got;
  std::vector<error_code> ecs;
  auto receive = [&] {
    once.async_receive([&](const error_code& ec, std::string s) {
      ecs.push_back(ec);
      got.push_back(s);
    });
  };
  receive();
  BOOST_TEST(once.send(std::string("first")));
  BOOST_TEST(!once.send(std::string("second")));
  ctx.run();
  receive(); // after the value: closed
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(ecs.size() == 2u);
  BOOST_TEST(!ecs[0]);
  BOOST_TEST(got[0] == "first");
  BOOST_TEST((ecs[1] == blitz::error::channel_closed));

  blitz::oneshot<int> never(ctx);
  error_code never_ec;
  never.async_receive([&](const error_code& ec, int) { never_ec = ec; });
  never.close();
  BOOST_TEST(!never.send(1));
  ctx.restart();
  ctx.run();
  BOOST_TEST((never_ec == blitz::error::channel_closed));
}

BOOST_AUTO_TEST_CASE(watch_waiters_see_the_latest_value_and_never_miss_a_change)
{
  blitz::io_context ctx;
  blitz::watch<int> w(ctx, 10);
  BOOST_TEST(w.version() == 0u);
  std::vector<std::pair<int, std::uint64_t>> seen;
  for (int i = 0; i < 2; ++i)
    w.async_changed(0, [&](const error_code& ec, int v, std::uint64_t version) {
      BOOST_TEST(!ec);
      seen.emplace_back(v, version);
    });
  ctx.run_for(30ms);
  BOOST_TEST(seen.empty()); // nothing newer than version 0 yet
  BOOST_TEST(w.send(11));
  BOOST_TEST(w.send(12)); // both waiters were already woken with 11
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(seen.size() == 2u);
  BOOST_TEST(seen[0].first == 11);
  BOOST_TEST(seen[0].second == 1u);
  BOOST_TEST(seen[1].first == 11);
  BOOST_TEST(seen[1].second == 1u);
  // A wait naming an older version completes at once with the latest value.
  w.async_changed(1, [&](const error_code& ec, int v, std::uint64_t version) {
    BOOST_TEST(!ec);
    seen.emplace_back(v, version);
  });
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(seen.size() == 3u);
  BOOST_TEST(seen[2].first == 12);
  BOOST_TEST(seen[2].second == 2u);
  BOOST_TEST(w.get() == 12);
  // Closed: a wait with nothing newer gets channel_closed, sends fail.
  error_code closed_ec;
  w.async_changed(2, [&](const error_code& ec, int, std::uint64_t) { closed_ec = ec; });
  w.close();
  BOOST_TEST(!w.send(13));
  ctx.restart();
  ctx.run();
  BOOST_TEST((closed_ec == blitz::error::channel_closed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(broadcast_suite)

BOOST_AUTO_TEST_CASE(every_receiver_gets_every_value_sent_after_it_subscribed)
{
  blitz::io_context ctx;
  blitz::broadcast<int> bus(ctx, 8);
  bus.send(-1); // before anyone subscribed: nobody gets it
  auto a = bus.subscribe();
  auto b = bus.subscribe();
  std::vector<int> got_a, got_b;
  receive_until_error(a, got_a); // waiting before the sends
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(bus.send(i));
  receive_until_error(b, got_b); // starts after the sends: catches up from the kept values
  ctx.run_for(50ms);
  BOOST_TEST((got_a == std::vector<int>{0, 1, 2, 3, 4}));
  BOOST_TEST((got_b == std::vector<int>{0, 1, 2, 3, 4}));
  bus.close();
  ctx.restart();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(a_slow_receiver_is_told_it_lagged_then_resumes)
{
  blitz::io_context ctx;
  blitz::broadcast<int> bus(ctx, 3);
  auto rx = bus.subscribe();
  for (int i = 0; i < 10; ++i)
    bus.send(i); // only 7, 8, 9 are kept
  std::vector<error_code> ecs;
  std::vector<int> got;
  std::function<void()> recv = [&] {
    rx.async_receive([&](const error_code& ec, int v) {
      ecs.push_back(ec);
      if (ec == blitz::error::channel_closed)
        return;
      if (!ec)
        got.push_back(v);
      recv();
    });
  };
  recv();
  bus.close();
  ctx.run();
  BOOST_REQUIRE(ecs.size() == 5u);
  BOOST_TEST((ecs[0] == blitz::error::channel_lagged));
  BOOST_TEST((got == std::vector<int>{7, 8, 9}));
  BOOST_TEST((ecs[4] == blitz::error::channel_closed));
  BOOST_TEST(!bus.send(10));
}

BOOST_AUTO_TEST_CASE(one_receive_at_a_time_and_leaving_cancels_it)
{
  blitz::io_context ctx;
  blitz::broadcast<std::string> bus(ctx, 4);
  std::vector<error_code> ecs;
  {
    auto rx = bus.subscribe();
    auto other = bus.subscribe();
    other.async_receive([&](const error_code& ec, std::string) { ecs.push_back(ec); });
    rx.async_receive([&](const error_code& ec, std::string) { ecs.push_back(ec); });
    rx.async_receive([&](const error_code& ec, std::string) { ecs.push_back(ec); });
    ctx.run_for(20ms);
    BOOST_REQUIRE(ecs.size() == 1u);
    BOOST_TEST((ecs[0] == blitz::error::already_started));
    // Leaving scope destroys both receivers: each pending receive ends with
    // channel_cancelled, and a later send has nobody left to wake.
  }
  BOOST_TEST(bus.send("late"));
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(ecs.size() == 3u);
  BOOST_TEST((ecs[1] == blitz::error::channel_cancelled));
  BOOST_TEST((ecs[2] == blitz::error::channel_cancelled));
}

// Receivers share the broadcast's state: one that outlives the broadcast is told it closed,
// and destroying it afterwards touches nothing freed.
BOOST_AUTO_TEST_CASE(a_receiver_may_outlive_its_broadcast)
{
  blitz::io_context ctx;
  std::vector<error_code> ecs;
  std::vector<int> got;
  {
    decltype(std::declval<blitz::broadcast<int>&>().subscribe()) rx;
    {
      blitz::broadcast<int> bus(ctx, 4);
      rx = bus.subscribe();
      bus.send(1);
      rx.async_receive([&](const error_code& ec, int v) {
        ecs.push_back(ec);
        got.push_back(v);
      });
      auto waiting = bus.subscribe();
      waiting.async_receive([&](const error_code& ec, int) { ecs.push_back(ec); });
      rx = std::move(waiting); // the old rx had no receive waiting; this one has
    } // the broadcast goes: the waiting receive ends with channel_closed
    ctx.run();
    rx.async_receive([&](const error_code& ec, int) { ecs.push_back(ec); });
    ctx.restart();
    ctx.run();
  }
  BOOST_REQUIRE(ecs.size() == 3u);
  BOOST_TEST(!ecs[0]);
  BOOST_TEST(got[0] == 1);
  BOOST_TEST((ecs[1] == blitz::error::channel_closed));
  BOOST_TEST((ecs[2] == blitz::error::channel_closed));
}

// Two threads: a sender and receivers on both; every receiver sees the same sequence.
BOOST_AUTO_TEST_CASE(receivers_on_two_threads_see_the_same_sequence)
{
  blitz::io_context ctx;
  blitz::broadcast<int> bus(ctx, 4096);
  const int values = 3000, receivers = 3;
  std::vector<decltype(bus.subscribe())> rxs;
  for (int r = 0; r < receivers; ++r)
    rxs.push_back(bus.subscribe());
  std::vector<std::vector<int>> got(receivers);
  std::atomic<int> errors{0}, closed{0};
  std::vector<std::function<void()>> recv(receivers);
  for (int r = 0; r < receivers; ++r)
    recv[r] = [&, r] {
      rxs[r].async_receive([&, r](const error_code& ec, int v) {
        if (ec)
        {
          if (ec == blitz::error::channel_closed)
            ++closed;
          else
            ++errors;
          return;
        }
        got[r].push_back(v); // one receive at a time per receiver: no overlap on got[r]
        recv[r]();
      });
    };
  for (int r = 0; r < receivers; ++r)
    blitz::post(ctx, recv[r]);
  std::thread sender([&] {
    for (int i = 0; i < values; ++i)
      bus.send(i);
    bus.close();
  });
  std::thread t([&] { ctx.run(); });
  ctx.run();
  t.join();
  sender.join();
  BOOST_TEST(errors.load() == 0);
  BOOST_TEST(closed.load() == receivers);
  std::vector<int> all(values);
  for (int i = 0; i < values; ++i)
    all[static_cast<std::size_t>(i)] = i;
  for (int r = 0; r < receivers; ++r)
    BOOST_TEST((got[static_cast<std::size_t>(r)] == all));
}

BOOST_AUTO_TEST_SUITE_END()
