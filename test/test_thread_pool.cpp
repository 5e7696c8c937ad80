// CPU offload: thread_pool (work stealing, join/stop/destruction), offload() delivery
// rules, parallel_for, fork-join join(), system_executor, io_context_pool, and the
// Chase-Lev deque underneath.
#define BOOST_TEST_MODULE thread_pool
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>
#include <blitz/detail/tsan.hpp>
#include <blitz/detail/work_stealing_deque.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

#ifdef BLITZ_TSAN
constexpr int scale = 5; // ThreadSanitizer is ~10x slower
#else
constexpr int scale = 1;
#endif

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10000ms)
{
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred())
  {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

// A gate a task can wait on (to hold a worker busy).
struct gate
{
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait()
  {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return open; });
  }
  void release()
  {
    std::lock_guard<std::mutex> l(m);
    open = true;
    cv.notify_all();
  }
};

// A few hundred nanoseconds of work that the optimiser cannot drop.
unsigned burn(unsigned x)
{
  for (int i = 0; i < 200; ++i)
    x = x * 1664525u + 1013904223u;
  return x;
}

} // namespace

BOOST_AUTO_TEST_CASE(offload_result_comes_back_on_the_originating_strand)
{
  blitz::io_context ctx;
  blitz::thread_pool pool(2);
  auto strand = blitz::make_strand(ctx);
  std::atomic<int> on_strand{0}, off_strand{0}, sum{0};
  std::set<std::thread::id> fn_threads;
  std::mutex m;
  const int n = 200;
  for (int i = 0; i < n; ++i)
  {
    auto handler = [&, i](std::exception_ptr e, int v) {
      (strand.running_in_this_thread() && !e && v == i * 2 ? on_strand : off_strand)++;
      sum += v;
    };
    auto fn = [&, i] {
      std::lock_guard<std::mutex> l(m);
      fn_threads.insert(std::this_thread::get_id());
      return i * 2;
    };
    if (i % 2)
      // Started inside the strand with a plain handler: the result comes back there.
      blitz::post(strand, [&pool, fn, handler] { blitz::offload(pool, fn, handler); });
    else
      // Started anywhere with the strand bound to the handler.
      blitz::offload(pool, fn, blitz::bind_executor(strand, handler));
  }
  // No work guard: the offloads in flight keep run() going by themselves.
  std::thread helper([&] { ctx.run(); });
  ctx.run();
  helper.join();
  BOOST_TEST(on_strand.load() == n);
  BOOST_TEST(off_strand.load() == 0);
  BOOST_TEST(sum.load() == n * (n - 1));
  BOOST_TEST(fn_threads.count(std::this_thread::get_id()) == 0u);
}

BOOST_AUTO_TEST_CASE(offload_exceptions_and_void_results)
{
  blitz::io_context ctx;
  blitz::thread_pool pool(1);
  auto strand = blitz::make_strand(ctx);
  bool got_error = false, value_defaulted = false, on_strand = false, void_ok = false,
       void_error = false;
  blitz::post(strand, [&] {
    blitz::offload(pool, []() -> int { throw std::runtime_error("bad input"); },
                   [&](std::exception_ptr e, int v) {
                     on_strand = strand.running_in_this_thread();
                     value_defaulted = v == 0;
                     try
                     {
                       if (e)
                         std::rethrow_exception(e);
                     }
                     catch (const std::runtime_error& ex)
                     {
                       got_error = std::string(ex.what()) == "bad input";
                     }
                   });
    blitz::offload(pool, [] {}, [&](std::exception_ptr e) { void_ok = !e; });
    blitz::offload(pool, [] { throw 7; }, [&](std::exception_ptr e) { void_error = e != nullptr; });
  });
  ctx.run();
  BOOST_TEST(got_error);
  BOOST_TEST(value_defaulted);
  BOOST_TEST(on_strand);
  BOOST_TEST(void_ok);
  BOOST_TEST(void_error);
}

BOOST_AUTO_TEST_CASE(offload_in_flight_keeps_run_from_returning)
{
  blitz::io_context ctx;
  blitz::thread_pool pool(1);
  bool delivered = false;
  blitz::post(ctx, [&] {
    blitz::offload(pool,
                   [] {
                     std::this_thread::sleep_for(50ms);
                     return 1;
                   },
                   blitz::bind_executor(ctx, [&](std::exception_ptr, int v) {
                     delivered = v == 1 && ctx.get_executor().running_in_this_thread();
                   }));
  });
  ctx.run(); // would return at once, before the result, if the offload were not work
  BOOST_TEST(delivered);
}

namespace {

// Offloads round trip after round trip until *stop is set. Each result arrives from the
// pool within microseconds, so the io thread catches it by spinning on its inject stack
// and never blocks in the backend.
struct endless_offload
{
  blitz::io_context& ctx;
  blitz::thread_pool& pool;
  const bool* stop;
  long* trips;
  void operator()() const
  {
    endless_offload self = *this;
    blitz::offload(pool, [] { return 1; },
                   blitz::bind_executor(ctx, [self](std::exception_ptr, int v) {
                     *self.trips += v;
                     if (!*self.stop)
                       self();
                   }));
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(offload_round_trips_do_not_starve_timers)
{
  // A wait that a cross-thread post ends (found at once, or by the pre-sleep spin) does
  // not reap the backend; the run loop must still reap every so many handlers, or an
  // endless stream of quick round trips would keep timers (and I/O) from ever completing.
  blitz::io_context ctx;
  blitz::thread_pool pool(1);
  bool stop = false;
  long trips = 0;
  blitz::steady_timer timer(ctx);
  timer.expires_after(20ms);
  timer.async_wait([&](const boost::system::error_code&) { stop = true; });
  // A safety net for the failure case: a stalled timer must fail the test, not hang it.
  // It sleeps rather than polls: on a 2-core machine a third busy thread would keep the
  // io thread and the pool worker from spinning at all.
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> l(m);
    if (!cv.wait_for(l, 10s, [&] { return finished; }))
      ctx.stop();
  });
  blitz::post(ctx, endless_offload{ctx, pool, &stop, &trips});
  auto start = std::chrono::steady_clock::now();
  ctx.run();
  auto took = std::chrono::steady_clock::now() - start;
  {
    std::lock_guard<std::mutex> l(m);
    finished = true;
  }
  cv.notify_one();
  watchdog.join();
  BOOST_TEST(stop);
  BOOST_TEST(trips > 0);
  // The timer is due after 20 ms; with a reap every reap_interval handlers it fires within
  // a few round trips of that. Generous for noisy machines, yet a starving loop (observed:
  // over 100 ms late) usually overshoots it.
  BOOST_TEST((took < 500ms * scale));
  BOOST_TEST_MESSAGE("timer fired after "
                     << std::chrono::duration_cast<std::chrono::microseconds>(took).count()
                     << " us, round trips " << trips);
}

BOOST_AUTO_TEST_CASE(offload_without_executor_from_a_plain_thread_runs_on_the_pool)
{
  blitz::thread_pool pool(1);
  std::atomic<bool> on_pool{false}, done{false};
  auto ex = pool.get_executor();
  blitz::offload(pool, [] { return 5; }, [&](std::exception_ptr, int v) {
    on_pool = ex.running_in_this_thread() && v == 5;
    done = true;
  });
  BOOST_TEST(eventually([&] { return done.load(); }));
  BOOST_TEST(on_pool.load());
}

BOOST_AUTO_TEST_CASE(pool_join_runs_everything_queued)
{
  std::atomic<int> ran{0};
  blitz::thread_pool pool(2);
  for (int i = 0; i < 1000; ++i)
    blitz::post(pool, [&] { ++ran; });
  auto guard = blitz::make_work_guard(pool);
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    blitz::post(pool, [&] { ++ran; }); // still accepted: the guard keeps join() waiting
    guard.reset();
  });
  pool.join();
  releaser.join();
  BOOST_TEST(ran.load() == 1001);
  pool.join(); // again: nothing left to wait for
}

BOOST_AUTO_TEST_CASE(pool_destroyed_with_queued_work_destroys_the_handlers)
{
  auto token = std::make_shared<int>(0);
  std::atomic<int> ran{0};
  blitz::io_context ctx;
  bool offload_handler_ran = false;
  gate g;
  {
    blitz::thread_pool pool(1);
    std::atomic<bool> busy{false};
    blitz::post(pool, [&] {
      busy = true;
      g.wait();
    });
    BOOST_REQUIRE(eventually([&] { return busy.load(); }));
    for (int i = 0; i < 100; ++i)
      blitz::post(pool, [token, &ran] { ++ran; });
    blitz::offload(pool, [token] { return 1; },
                   blitz::bind_executor(ctx, [token, &offload_handler_ran](std::exception_ptr, int) {
                     offload_handler_ran = true;
                   }));
    BOOST_TEST(token.use_count() == 103);
    pool.stop();
    g.release();
  } // ~thread_pool: joins the worker, destroys the 101 handlers it never ran
  BOOST_TEST(ran.load() == 0);
  BOOST_TEST(token.use_count() == 1);
  // The destroyed offload gave its unit of work back: run() returns without the handler.
  ctx.run();
  BOOST_TEST(!offload_handler_ran);
}

BOOST_AUTO_TEST_CASE(tiny_tasks_are_stolen_by_other_workers)
{
  blitz::thread_pool pool(2);
  const int n = 100000 / scale;
  std::atomic<int> ran{0}, stolen{0};
  std::atomic<unsigned> sink{0};
  std::thread::id poster;
  // Posted from inside a worker, so every task lands on that worker's own deque: a task
  // that runs on another thread was stolen. (A quick thief may take nearly all of them.)
  blitz::post(pool, [&] {
    poster = std::this_thread::get_id();
    for (int i = 0; i < n; ++i)
      blitz::post(pool, [&, i] {
        sink += burn(static_cast<unsigned>(i));
        if (std::this_thread::get_id() != poster)
          ++stolen;
        ++ran;
      });
  });
  pool.join();
  BOOST_TEST(ran.load() == n);
  BOOST_TEST(stolen.load() > 0);
}

BOOST_AUTO_TEST_CASE(tasks_from_outside_threads_all_run)
{
  blitz::thread_pool pool(2);
  const int producers = 3, per = 30000 / scale;
  std::atomic<int> ran{0};
  std::vector<std::thread> ps;
  for (int p = 0; p < producers; ++p)
    ps.emplace_back([&] {
      for (int i = 0; i < per; ++i)
        blitz::post(pool.get_executor(), [&] { ++ran; });
    });
  for (auto& t : ps)
    t.join();
  pool.join();
  BOOST_TEST(ran.load() == producers * per);
}

BOOST_AUTO_TEST_CASE(parallel_for_covers_every_index_exactly_once)
{
  blitz::io_context ctx;
  blitz::thread_pool pool(2);
  auto strand = blitz::make_strand(ctx);
  const int n = 1000000 / scale;
  std::vector<std::atomic<unsigned char>> hits(static_cast<std::size_t>(n));
  for (auto& h : hits)
    h.store(0, std::memory_order_relaxed);
  int calls = 0;
  bool on_strand = false, no_error = false;
  std::mutex m;
  std::set<std::thread::id> threads;
  blitz::post(strand, [&] {
    blitz::parallel_for(pool, 0, n,
                        [&](int i) {
                          hits[static_cast<std::size_t>(i)].fetch_add(1, std::memory_order_relaxed);
                          if (i % 4096 == 0)
                          {
                            std::lock_guard<std::mutex> l(m);
                            threads.insert(std::this_thread::get_id());
                          }
                        },
                        [&](std::exception_ptr e) {
                          ++calls;
                          no_error = !e;
                          on_strand = strand.running_in_this_thread();
                        });
  });
  ctx.run();
  int wrong = 0;
  for (auto& h : hits)
    wrong += h.load(std::memory_order_relaxed) != 1;
  BOOST_TEST(wrong == 0);
  BOOST_TEST(calls == 1);
  BOOST_TEST(no_error);
  BOOST_TEST(on_strand);
  BOOST_TEST(threads.count(std::this_thread::get_id()) == 0u);

  // Empty range: the handler still runs, once, and never inside the call.
  int empty_calls = 0;
  blitz::parallel_for(pool, 5, 5, [](int) {}, blitz::bind_executor(ctx, [&](std::exception_ptr) { ++empty_calls; }));
  BOOST_TEST(empty_calls == 0);
  ctx.restart();
  ctx.run();
  BOOST_TEST(empty_calls == 1);
}

BOOST_AUTO_TEST_CASE(parallel_for_reports_the_first_exception)
{
  blitz::io_context ctx;
  blitz::thread_pool pool(2);
  std::atomic<long> visited{0};
  std::exception_ptr error;
  blitz::parallel_for(pool, std::size_t(0), std::size_t(100000),
                      [&](std::size_t i) {
                        ++visited;
                        if (i == 777)
                          throw std::out_of_range("777");
                      },
                      blitz::bind_executor(ctx, [&](std::exception_ptr e) { error = e; }));
  ctx.run();
  BOOST_REQUIRE(error);
  BOOST_CHECK_THROW(std::rethrow_exception(error), std::out_of_range);
  BOOST_TEST(visited.load() <= 100000);
}

namespace {
long fib(blitz::thread_pool& pool, int n)
{
  if (n < 12)
  {
    long a = 0, b = 1;
    for (int i = 0; i < n; ++i)
    {
      long t = a + b;
      a = b;
      b = t;
    }
    return a;
  }
  auto r = blitz::join(pool, [&] { return fib(pool, n - 1); }, [&] { return fib(pool, n - 2); });
  return r.first + r.second;
}
} // namespace

BOOST_AUTO_TEST_CASE(fork_join_returns_both_results_and_nests_without_deadlock)
{
  blitz::thread_pool pool(2);
  auto r = blitz::join(pool, [] { return 6; }, [] { return std::string("seven"); });
  BOOST_TEST(r.first == 6);
  BOOST_TEST(r.second == "seven");

  // Recursive joins from the workers themselves: every waiting worker must keep helping.
  BOOST_TEST(fib(pool, 24) == 46368);

  // void results and exceptions.
  std::atomic<int> side{0};
  auto v = blitz::join(pool, [&] { ++side; }, [&] { ++side; });
  (void)v;
  BOOST_TEST(side.load() == 2);
  BOOST_CHECK_THROW(blitz::join(pool, [] { return 1; }, []() -> int { throw std::logic_error("b"); }),
                    std::logic_error);

  // A whole recursive fork-join started by a task on the pool.
  std::atomic<long> inside{0};
  blitz::post(pool, [&] { inside = fib(pool, 20); });
  pool.join();
  BOOST_TEST(inside.load() == 6765);
}

// A worker waiting in join() runs other queued tasks meanwhile, nested in the handler that
// called join(). When that handler runs in a strand, the nested task must not pass for
// running in the strand: a dispatch through it would run inline while the strand's own
// handler is suspended mid-way.
BOOST_AUTO_TEST_CASE(a_task_run_while_joining_inside_a_strand_is_not_in_the_strand)
{
  blitz::thread_pool pool(1); // one worker: the task posted from a is run by the joiner
  auto strand = blitz::make_strand(pool.get_executor());
  std::atomic<int> task_in_strand{-1};
  std::atomic<bool> dispatched_inline{false}, task_ran{false}, joined{false};
  blitz::post(strand, [&] {
    blitz::join(
        pool,
        [&] {
          // Queued above b on this worker's deque: the joiner takes it first.
          blitz::post(pool, [&] {
            task_in_strand = strand.running_in_this_thread() ? 1 : 0;
            // Outlives this task: not run inline, f runs after the strand's handler.
            auto returned = std::make_shared<std::atomic<bool>>(false);
            blitz::dispatch(strand, [&dispatched_inline, returned] { dispatched_inline = !*returned; });
            *returned = true;
            task_ran = true;
          });
          return 1;
        },
        [] { return 2; });
    joined = true;
  });
  pool.join();
  BOOST_TEST(joined.load());
  BOOST_TEST(task_ran.load());
  BOOST_TEST(task_in_strand.load() == 0);
  BOOST_TEST(!dispatched_inline.load());
}

BOOST_AUTO_TEST_CASE(system_executor_dispatches_inline_and_posts_to_its_pool)
{
  blitz::system_executor ex;
  bool inline_ran = false;
  ex.dispatch([&] { inline_ran = true; });
  BOOST_TEST(inline_ran);
  bool executed = false;
  ex.execute([&] { executed = true; });
  BOOST_TEST(executed);

  std::atomic<bool> posted_ran{false};
  std::thread::id posted_on;
  std::mutex m;
  blitz::post(ex, [&] {
    std::lock_guard<std::mutex> l(m);
    posted_on = std::this_thread::get_id();
    posted_ran = true;
  });
  BOOST_TEST(eventually([&] { return posted_ran.load(); }));
  {
    std::lock_guard<std::mutex> l(m);
    BOOST_TEST((posted_on != std::this_thread::get_id()));
  }
  std::atomic<bool> deferred{false};
  blitz::defer(ex, [&] { deferred = true; });
  BOOST_TEST(eventually([&] { return deferred.load(); }));
  BOOST_TEST(&ex.context() == &blitz::system_executor().context());
  BOOST_TEST((ex == blitz::system_executor()));

  // As a handler's executor: an offloaded result delivered with dispatch (inline on the
  // pool thread that computed it).
  blitz::thread_pool pool(1);
  std::atomic<int> got{0};
  blitz::offload(pool, [] { return 9; }, blitz::bind_executor(ex, [&](std::exception_ptr, int v) { got = v; }));
  BOOST_TEST(eventually([&] { return got.load() == 9; }));
}

BOOST_AUTO_TEST_CASE(io_context_pool_round_robin_one_thread_each)
{
  blitz::io_context_pool pool(3);
  BOOST_TEST(pool.size() == 3u);
  BOOST_TEST(&pool.get_io_context() == &pool.context(0));
  BOOST_TEST(&pool.get_io_context() == &pool.context(1));
  BOOST_TEST(&pool.get_io_context() == &pool.context(2));
  BOOST_TEST(&pool.get_io_context() == &pool.context(0));

  pool.run();
  std::mutex m;
  std::vector<std::thread::id> ids(3);
  std::atomic<int> done{0};
  for (std::size_t i = 0; i < 3; ++i)
    blitz::post(pool.context(i), [&, i] {
      std::lock_guard<std::mutex> l(m);
      ids[i] = std::this_thread::get_id();
      ++done;
    });
  BOOST_REQUIRE(eventually([&] { return done.load() == 3; }));
  {
    std::lock_guard<std::mutex> l(m);
    BOOST_TEST((std::set<std::thread::id>(ids.begin(), ids.end()).size() == 3u));
  }

  // offload() from a context's thread with a plain handler comes back to that context.
  blitz::thread_pool cpu(1);
  std::atomic<bool> back_home{false}, arrived{false};
  blitz::post(pool.context(1), [&] {
    blitz::offload(cpu, [] { return 1; }, [&](std::exception_ptr, int) {
      back_home = pool.context(1).get_executor().running_in_this_thread();
      arrived = true;
    });
  });
  BOOST_REQUIRE(eventually([&] { return arrived.load(); }));
  BOOST_TEST(back_home.load());

  // An exception escaping a handler stops the pool and comes out of join().
  blitz::post(pool.context(2), [] { throw std::runtime_error("handler failed"); });
  BOOST_CHECK_THROW(pool.join(), std::runtime_error);

  // And it can be run again.
  pool.run();
  std::atomic<bool> again{false};
  blitz::post(pool.get_io_context(), [&] { again = true; });
  BOOST_TEST(eventually([&] { return again.load(); }));
  pool.stop();
  pool.join();
}

BOOST_AUTO_TEST_CASE(chase_lev_deque_hands_out_every_item_once)
{
  // One owner pushing and taking, two thieves stealing, all at once.
  struct item
  {
    int id;
  };
  const int n = 200000 / scale;
  std::vector<item> items(static_cast<std::size_t>(n));
  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
  {
    items[static_cast<std::size_t>(i)].id = i;
    seen[static_cast<std::size_t>(i)].store(0);
  }
  blitz::detail::work_stealing_deque<item> dq(2); // tiny: grows many times
  std::atomic<bool> owner_done{false};
  std::atomic<int> taken{0};
  auto thief = [&] {
    for (;;)
    {
      item* x = nullptr;
      auto r = dq.steal(x);
      if (r == blitz::detail::work_stealing_deque<item>::steal_result::success)
      {
        seen[static_cast<std::size_t>(x->id)].fetch_add(1);
        ++taken;
      }
      else if (r == blitz::detail::work_stealing_deque<item>::steal_result::empty && owner_done.load())
        return;
    }
  };
  std::thread t1(thief), t2(thief);
  for (int i = 0; i < n; ++i)
  {
    dq.push(&items[static_cast<std::size_t>(i)]);
    if (i % 3 == 0)
      if (item* x = dq.take())
      {
        seen[static_cast<std::size_t>(x->id)].fetch_add(1);
        ++taken;
      }
  }
  while (item* x = dq.take())
  {
    seen[static_cast<std::size_t>(x->id)].fetch_add(1);
    ++taken;
  }
  owner_done = true;
  t1.join();
  t2.join();
  int wrong = 0;
  for (auto& s : seen)
    wrong += s.load() != 1;
  BOOST_TEST(wrong == 0);
  BOOST_TEST(taken.load() == n);
}
