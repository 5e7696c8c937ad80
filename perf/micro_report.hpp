// What every micro benchmark reports, in blitz_micro and asio_micro alike, so the two
// binaries' figures mean the same thing.
#ifndef BLITZ_PERF_MICRO_REPORT_HPP
#define BLITZ_PERF_MICRO_REPORT_HPP

#include "counting_alloc.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>

namespace perf {

// Items per workload: the figure every benchmark name carries after its base name.
constexpr std::int64_t post_items = 1 << 20;
constexpr std::int64_t timer_items = 1 << 17;
constexpr std::int64_t offload_items = 1 << 16;

// Counts allocations from construction (just before the timed loop) to finish().
class item_report
{
public:
  item_report() : allocs_at_start_(allocations()) {}

  // items_per_iteration: handlers, timers or round trips in one pass of the workload.
  void finish(benchmark::State& state, std::int64_t items_per_iteration) const
  {
    std::int64_t items = state.iterations() * items_per_iteration;
    state.SetItemsProcessed(items);
    double allocs = static_cast<double>(allocations() - allocs_at_start_);
    state.counters["allocs_per_item"] = items > 0 ? allocs / static_cast<double>(items) : 0.0;
  }

private:
  std::uint64_t allocs_at_start_;
};

} // namespace perf

#endif
