// Replaces the global operator new of the one test program that includes it with one that
// counts calls in `allocations`: for suites that prove an operation allocates nothing.
// Definitions, not declarations: include it from exactly one file of a program.
#ifndef BLITZ_TEST_COUNTING_NEW_HPP
#define BLITZ_TEST_COUNTING_NEW_HPP

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
// Relaxed: read by the same thread after the operations it counts, or after joins.
std::atomic<long> allocations{0};
}

void* operator new(std::size_t n)
{
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept
{
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#endif
