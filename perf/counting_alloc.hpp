// Heap allocation counter for the micro benchmarks: a binary that links counting_alloc.cpp
// counts every call into the C++ and C allocators, so it can report allocations per item.
#ifndef BLITZ_PERF_COUNTING_ALLOC_HPP
#define BLITZ_PERF_COUNTING_ALLOC_HPP

#include <cstdint>

namespace perf {

// Allocations so far, from every thread: operator new in all its forms plus malloc, calloc,
// realloc and the aligned allocators.
std::uint64_t allocations() noexcept;

} // namespace perf

#endif
