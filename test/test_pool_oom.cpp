// The thread pool when its queues cannot grow (std::bad_alloc from a worker's deque): work
// that could not be queued is run by the caller or reported, never lost or counted twice.
// Its own program: it replaces the global operator new with one that fails on demand.
#define BOOST_TEST_MODULE pool_oom
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <new>

namespace {
// Per thread: only the pool's worker fails, and only while a test says so.
thread_local bool fail_large = false;
// A work-stealing deque's array of 512 slots; the pool's other allocations are smaller.
constexpr std::size_t large = 4096;
} // namespace

void* operator new(std::size_t n)
{
  if (n >= large && fail_large)
    throw std::bad_alloc();
  if (void* p = std::malloc(n ? n : 1))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

// parallel_for splits its range by pushing halves onto the worker's deque. When a push
// cannot grow the deque, that half is run where it is. It used to be counted twice as
// finished (once as abandoned by the pool, once by the caller): the handler was then dropped
// uncalled, and the state freed while other pieces still ran.
BOOST_AUTO_TEST_CASE(parallel_for_runs_a_piece_it_cannot_queue_itself)
{
  blitz::thread_pool pool(1); // nobody steals: the deque fills exactly as laid out below
  blitz::io_context ctx;
  std::atomic<long> sum{0};
  std::atomic<int> fillers{0};
  int calls = 0;
  std::exception_ptr error;
  // The parallel_for starts on the worker, maybe after run_for is entered here.
  auto guard = blitz::make_work_guard(ctx);
  blitz::post(pool, [&] {
    // The deque holds 256 tasks before it must grow: 255 fillers, then the parallel_for's
    // root. The worker takes the root back first (it is on top), and its run pushes
    // [400, 800) (the 256th task again) and then [200, 400), which needs the growth.
    for (int i = 0; i < 255; ++i)
      blitz::post(pool, [&] { ++fillers; });
    fail_large = true; // the root still fits; the growth for its second split fails
    blitz::parallel_for(pool, 0, 800, [&](int i) { sum += i; },
                        blitz::bind_executor(ctx, [&](std::exception_ptr e) {
                          ++calls;
                          error = e;
                          guard.reset();
                        }));
  });
  ctx.run_for(std::chrono::seconds(10));
  blitz::post(pool, [] { fail_large = false; });
  pool.join();
  BOOST_TEST(calls == 1);
  BOOST_TEST(!error);
  BOOST_TEST(sum.load() == 800L * 799L / 2);
  BOOST_TEST(fillers.load() == 255);
}
