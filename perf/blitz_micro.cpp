// Google Benchmark micro benchmarks of blitz-io's scheduler, timers, strands and CPU
// offload; asio_micro.cpp runs the same workloads on Boost.Asio under the same names, minus
// the backend suffix, so tools/bench can divide one by the other.
//
//   blitz_micro [--benchmark_filter=REGEX] [--benchmark_min_time=SECONDS] ...
//
// Every workload is registered once per backend, e.g. BM_post_chain/1048576/uring and
// BM_post_chain/1048576/epoll (plus Google Benchmark's /real_time where wall-clock time is
// what matters because more than one thread takes part).
#include "micro_report.hpp"

#include <blitz.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if __has_include(<blitz/strand.hpp>)
#include <blitz/strand.hpp>
#define BLITZ_PERF_HAS_STRAND 1
#endif
#if __has_include(<blitz/offload.hpp>) && __has_include(<blitz/bind_executor.hpp>)
#include <blitz/bind_executor.hpp>
#include <blitz/offload.hpp>
#define BLITZ_PERF_HAS_OFFLOAD 1
#endif

namespace {

using backend_kind = blitz::io_context::backend_kind;
using error_code = boost::system::error_code;

const char* suffix(backend_kind b) { return b == backend_kind::uring ? "uring" : "epoll"; }

// An explicit backend that cannot be honoured throws; that run is then reported as skipped
// rather than silently measuring the other backend.
std::unique_ptr<blitz::io_context> make_context(benchmark::State& state, backend_kind b)
{
  blitz::io_context::options o;
  o.backend = b;
  try
  {
    return std::unique_ptr<blitz::io_context>(new blitz::io_context(o));
  }
  catch (const std::exception& e)
  {
    state.SkipWithError((std::string("no ") + suffix(b) + " backend: " + e.what()).c_str());
    return nullptr;
  }
}

// A handler that re-posts itself until it has run `left` times: the cost of one post plus
// one handler invocation from inside run(), the single-threaded hot path.
struct chain_link
{
  blitz::io_context* ctx;
  std::int64_t* left;
  void operator()() const
  {
    if (--*left > 0)
      blitz::post(*ctx, *this);
  }
};

void post_chain(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  perf::item_report report;
  std::int64_t left = 0;
  for (auto _ : state)
  {
    left = n;
    blitz::post(*ctx, chain_link{ctx.get(), &left});
    ctx->run();
    ctx->restart();
    if (left != 0)
    {
      state.SkipWithError("chain stopped early");
      break;
    }
  }
  report.finish(state, n);
}

void post_batch_then_run(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  perf::item_report report;
  std::int64_t ran = 0;
  for (auto _ : state)
  {
    ran = 0;
    for (std::int64_t i = 0; i < n; ++i)
      blitz::post(*ctx, [&ran] { ++ran; });
    ctx->run();
    ctx->restart();
    if (ran != n)
    {
      state.SkipWithError("not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}

// A producer thread posts into a context that this thread runs: the cross-thread queue and
// wake-up path. The guard keeps run() from returning while the queue is momentarily empty.
void post_cross_thread(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  perf::item_report report;
  for (auto _ : state)
  {
    auto guard = blitz::make_work_guard(*ctx);
    std::int64_t ran = 0;
    std::thread producer([&] {
      for (std::int64_t i = 0; i < n; ++i)
        blitz::post(*ctx, [&ran, &guard, n] {
          if (++ran == n)
            guard.reset();
        });
    });
    ctx->run();
    producer.join();
    ctx->restart();
    if (ran != n)
    {
      state.SkipWithError("not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}

#ifdef BLITZ_PERF_HAS_STRAND
// Two threads compete for one strand's handlers. `inside` catches a strand that lets two
// handlers overlap; `ran` is deliberately not atomic, the strand alone must protect it.
void strand_two_threads(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  auto strand = blitz::make_strand(*ctx);
  perf::item_report report;
  for (auto _ : state)
  {
    std::int64_t ran = 0;
    std::atomic<bool> inside{false};
    std::atomic<bool> overlapped{false};
    for (std::int64_t i = 0; i < n; ++i)
      blitz::post(strand, [&] {
        if (inside.exchange(true, std::memory_order_acquire))
          overlapped.store(true, std::memory_order_relaxed);
        ++ran;
        inside.store(false, std::memory_order_release);
      });
    std::thread helper([&] { ctx->run(); });
    ctx->run();
    helper.join();
    ctx->restart();
    if (ran != n || overlapped.load())
    {
      state.SkipWithError(overlapped.load() ? "strand handlers overlapped"
                                            : "not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}
#endif

// Distinct deadlines, so a timer structure cannot get away with one bucket per deadline.
void timer_arm_cancel(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  std::vector<blitz::steady_timer> timers;
  timers.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    timers.emplace_back(*ctx);
  perf::item_report report;
  for (auto _ : state)
  {
    std::int64_t aborted = 0;
    auto base = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (std::int64_t i = 0; i < n; ++i)
    {
      timers[static_cast<std::size_t>(i)].expires_at(base + std::chrono::microseconds(i));
      timers[static_cast<std::size_t>(i)].async_wait([&aborted](const error_code& ec) {
        if (ec == blitz::error::operation_aborted)
          ++aborted;
      });
    }
    for (auto& t : timers)
      t.cancel();
    ctx->run();
    ctx->restart();
    if (aborted != n)
    {
      state.SkipWithError("not every wait completed with operation_aborted");
      break;
    }
  }
  report.finish(state, n);
}

void timer_fire(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  std::vector<blitz::steady_timer> timers;
  timers.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    timers.emplace_back(*ctx);
  const auto spread = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::milliseconds(50));
  perf::item_report report;
  for (auto _ : state)
  {
    std::int64_t fired = 0;
    auto base = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < n; ++i)
    {
      timers[static_cast<std::size_t>(i)].expires_at(base + spread * i / n);
      timers[static_cast<std::size_t>(i)].async_wait([&fired](const error_code& ec) {
        if (!ec)
          ++fired;
      });
    }
    ctx->run();
    ctx->restart();
    if (fired != n)
    {
      state.SkipWithError("not every timer fired");
      break;
    }
  }
  report.finish(state, n);
}

#ifdef BLITZ_PERF_HAS_OFFLOAD
// Sequential round trips io_context -> CPU pool -> io_context: the latency of handing work
// over and getting its result delivered, not the pool's throughput. No work guard: offload
// counts its own work on the target context, and a run() that returned early would show up
// as round trips left over.
class offload_chain
{
public:
  offload_chain(blitz::io_context& ctx, blitz::thread_pool& pool, std::int64_t n)
    : ctx_(ctx), pool_(pool), left_(n)
  {
  }

  void start()
  {
    std::int64_t v = left_;
    // bind_executor: the first offload starts outside run(), where the handler would
    // otherwise have no io_context to come back to.
    blitz::offload(pool_, [v] { return v - 1; },
                   blitz::bind_executor(ctx_, [this](std::exception_ptr e, std::int64_t r) {
                     delivered(e, r);
                   }));
  }
  std::int64_t left() const { return left_; }
  bool wrong() const { return wrong_; }

private:
  void delivered(const std::exception_ptr& e, std::int64_t result)
  {
    if (e || result != left_ - 1)
      wrong_ = true;
    if (--left_ > 0)
      start();
  }

  blitz::io_context& ctx_;
  blitz::thread_pool& pool_;
  std::int64_t left_;
  bool wrong_ = false;
};

void offload_roundtrip(benchmark::State& state, std::int64_t n, backend_kind b)
{
  auto ctx = make_context(state, b);
  if (!ctx)
    return;
  // One worker: with the io thread that makes both cores of the reference machine busy.
  blitz::thread_pool pool(1);
  perf::item_report report;
  for (auto _ : state)
  {
    offload_chain chain(*ctx, pool, n);
    chain.start();
    ctx->run();
    ctx->restart();
    if (chain.left() != 0 || chain.wrong())
    {
      state.SkipWithError(chain.wrong() ? "a round trip delivered a wrong result"
                                        : "not every round trip completed");
      break;
    }
  }
  report.finish(state, n);
}
#endif

using workload = void (*)(benchmark::State&, std::int64_t, backend_kind);

void add(const char* name, workload fn, std::int64_t n, bool real_time)
{
  for (backend_kind b : {backend_kind::uring, backend_kind::epoll})
  {
    std::string full = std::string(name) + "/" + std::to_string(n) + "/" + suffix(b);
    auto* bm = benchmark::RegisterBenchmark(
        full.c_str(), [fn, n, b](benchmark::State& s) { fn(s, n, b); });
    bm->Unit(benchmark::kMillisecond);
    if (real_time)
      bm->UseRealTime();
  }
}

} // namespace

int main(int argc, char** argv)
{
  add("BM_post_chain", post_chain, perf::post_items, false);
  add("BM_post_batch_then_run", post_batch_then_run, perf::post_items, false);
  add("BM_post_cross_thread", post_cross_thread, perf::post_items, true);
#ifdef BLITZ_PERF_HAS_STRAND
  add("BM_strand_two_threads", strand_two_threads, perf::post_items, true);
#endif
  add("BM_timer_arm_cancel", timer_arm_cancel, perf::timer_items, false);
  add("BM_timer_fire", timer_fire, perf::timer_items, true);
#ifdef BLITZ_PERF_HAS_OFFLOAD
  add("BM_offload_roundtrip", offload_roundtrip, perf::offload_items, true);
#endif

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
