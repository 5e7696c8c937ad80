// The workloads of blitz_micro.cpp on Boost.Asio 1.81, under the same benchmark names
// without the backend suffix (Asio on Linux runs these on its epoll reactor), so that
// tools/bench can report blitz/asio ratios.
//
//   asio_micro [--benchmark_filter=REGEX] [--benchmark_min_time=SECONDS] ...
#define BOOST_ASIO_NO_DEPRECATED
#include "micro_report.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// Asio's own hint for "one thread calls run()": the peer gets its best single-threaded
// configuration wherever the workload allows it.
constexpr int one_thread = 1;

struct chain_link
{
  asio::io_context* ctx;
  std::int64_t* left;
  void operator()() const
  {
    if (--*left > 0)
      asio::post(*ctx, *this);
  }
};

void post_chain(benchmark::State& state, std::int64_t n)
{
  asio::io_context ctx(one_thread);
  perf::item_report report;
  std::int64_t left = 0;
  for (auto _ : state)
  {
    left = n;
    asio::post(ctx, chain_link{&ctx, &left});
    ctx.run();
    ctx.restart();
    if (left != 0)
    {
      state.SkipWithError("chain stopped early");
      break;
    }
  }
  report.finish(state, n);
}

void post_batch_then_run(benchmark::State& state, std::int64_t n)
{
  asio::io_context ctx(one_thread);
  perf::item_report report;
  std::int64_t ran = 0;
  for (auto _ : state)
  {
    ran = 0;
    for (std::int64_t i = 0; i < n; ++i)
      asio::post(ctx, [&ran] { ++ran; });
    ctx.run();
    ctx.restart();
    if (ran != n)
    {
      state.SkipWithError("not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}

void post_cross_thread(benchmark::State& state, std::int64_t n)
{
  // Two threads touch this context (one posts, one runs): the default hint.
  asio::io_context ctx;
  perf::item_report report;
  for (auto _ : state)
  {
    auto guard = asio::make_work_guard(ctx);
    std::int64_t ran = 0;
    std::thread producer([&] {
      for (std::int64_t i = 0; i < n; ++i)
        asio::post(ctx, [&ran, &guard, n] {
          if (++ran == n)
            guard.reset();
        });
    });
    ctx.run();
    producer.join();
    ctx.restart();
    if (ran != n)
    {
      state.SkipWithError("not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}

void strand_two_threads(benchmark::State& state, std::int64_t n)
{
  asio::io_context ctx;
  auto strand = asio::make_strand(ctx);
  perf::item_report report;
  for (auto _ : state)
  {
    std::int64_t ran = 0;
    std::atomic<bool> inside{false};
    std::atomic<bool> overlapped{false};
    for (std::int64_t i = 0; i < n; ++i)
      asio::post(strand, [&] {
        if (inside.exchange(true, std::memory_order_acquire))
          overlapped.store(true, std::memory_order_relaxed);
        ++ran;
        inside.store(false, std::memory_order_release);
      });
    std::thread helper([&] { ctx.run(); });
    ctx.run();
    helper.join();
    ctx.restart();
    if (ran != n || overlapped.load())
    {
      state.SkipWithError(overlapped.load() ? "strand handlers overlapped"
                                            : "not every handler ran");
      break;
    }
  }
  report.finish(state, n);
}

void timer_arm_cancel(benchmark::State& state, std::int64_t n)
{
  asio::io_context ctx(one_thread);
  std::vector<asio::steady_timer> timers;
  timers.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    timers.emplace_back(ctx);
  perf::item_report report;
  for (auto _ : state)
  {
    std::int64_t aborted = 0;
    auto base = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (std::int64_t i = 0; i < n; ++i)
    {
      timers[static_cast<std::size_t>(i)].expires_at(base + std::chrono::microseconds(i));
      timers[static_cast<std::size_t>(i)].async_wait([&aborted](const error_code& ec) {
        if (ec == asio::error::operation_aborted)
          ++aborted;
      });
    }
    for (auto& t : timers)
      t.cancel();
    ctx.run();
    ctx.restart();
    if (aborted != n)
    {
      state.SkipWithError("not every wait completed with operation_aborted");
      break;
    }
  }
  report.finish(state, n);
}

void timer_fire(benchmark::State& state, std::int64_t n)
{
  asio::io_context ctx(one_thread);
  std::vector<asio::steady_timer> timers;
  timers.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    timers.emplace_back(ctx);
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
    ctx.run();
    ctx.restart();
    if (fired != n)
    {
      state.SkipWithError("not every timer fired");
      break;
    }
  }
  report.finish(state, n);
}

// Asio has no offload: the idiom is to post the work to a thread_pool and have it post the
// result back to the io_context.
class offload_chain
{
public:
  offload_chain(asio::io_context& ctx, asio::thread_pool& pool, std::int64_t n)
    : ctx_(ctx), pool_(pool), guard_(asio::make_work_guard(ctx)), left_(n)
  {
  }

  void start()
  {
    std::int64_t v = left_;
    asio::post(pool_, [this, v] {
      std::int64_t result = v - 1;
      asio::post(ctx_, [this, result] { delivered(result); });
    });
  }
  std::int64_t left() const { return left_; }
  bool wrong() const { return wrong_; }

private:
  void delivered(std::int64_t result)
  {
    if (result != left_ - 1)
      wrong_ = true;
    if (--left_ > 0)
      start();
    else
      guard_.reset();
  }

  asio::io_context& ctx_;
  asio::thread_pool& pool_;
  // Work in the pool is invisible to the io_context; this keeps run() going.
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::int64_t left_;
  bool wrong_ = false;
};

void offload_roundtrip(benchmark::State& state, std::int64_t n)
{
  // The pool's thread posts the results in, so the context is shared: the default hint.
  asio::io_context ctx;
  asio::thread_pool pool(1);
  perf::item_report report;
  for (auto _ : state)
  {
    offload_chain chain(ctx, pool, n);
    chain.start();
    ctx.run();
    ctx.restart();
    if (chain.left() != 0 || chain.wrong())
    {
      state.SkipWithError(chain.wrong() ? "a round trip delivered a wrong result"
                                        : "not every round trip completed");
      break;
    }
  }
  report.finish(state, n);
}

using workload = void (*)(benchmark::State&, std::int64_t);

void add(const char* name, workload fn, std::int64_t n, bool real_time)
{
  std::string full = std::string(name) + "/" + std::to_string(n);
  auto* bm =
      benchmark::RegisterBenchmark(full.c_str(), [fn, n](benchmark::State& s) { fn(s, n); });
  bm->Unit(benchmark::kMillisecond);
  if (real_time)
    bm->UseRealTime();
}

} // namespace

int main(int argc, char** argv)
{
  add("BM_post_chain", post_chain, perf::post_items, false);
  add("BM_post_batch_then_run", post_batch_then_run, perf::post_items, false);
  add("BM_post_cross_thread", post_cross_thread, perf::post_items, true);
  add("BM_strand_two_threads", strand_two_threads, perf::post_items, true);
  add("BM_timer_arm_cancel", timer_arm_cancel, perf::timer_items, false);
  add("BM_timer_fire", timer_fire, perf::timer_items, true);
  add("BM_offload_roundtrip", offload_roundtrip, perf::offload_items, true);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
