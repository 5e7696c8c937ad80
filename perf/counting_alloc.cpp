// Counts heap allocations by replacing the global operator new and interposing the C
// allocation functions.
//
// operator new alone is not enough for a fair comparison: Asio allocates its handler memory
// with aligned allocation (posix_memalign through Boost.Align in C++14, aligned_alloc in
// C++17), which never reaches operator new. So malloc and friends are defined here as well,
// by alloc_interpose.h, counting and then forwarding to glibc's own implementation.
//
// This file must not include <cstdlib> or <malloc.h>: the definitions alloc_interpose.h
// makes are those functions. Under AddressSanitizer or ThreadSanitizer the C functions are left to the
// sanitizer's own interceptors (only operator new is counted then), which a second malloc
// definition would bypass.
#include "counting_alloc.hpp"

#include <atomic>
#include <cstddef>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void __libc_free(void*) noexcept;
}

namespace {

// Relaxed: only the total matters, read after the threads that allocated have been joined
// or have handed their results over through the benchmark's own synchronisation.
std::atomic<std::uint64_t> g_allocations{0};

// Also what alloc_interpose.h's C functions call.
inline void count_allocation() noexcept
{
  g_allocations.fetch_add(1, std::memory_order_relaxed);
}

void* new_or_throw(std::size_t n)
{
  count_allocation();
  for (;;)
  {
    // malloc(0) may return nullptr, but operator new must return a unique pointer.
    if (void* p = __libc_malloc(n == 0 ? 1 : n))
      return p;
    // The standard's loop: give the new_handler a chance to free memory, else fail.
    std::new_handler h = std::get_new_handler();
    if (!h)
      throw std::bad_alloc();
    h();
  }
}

void* new_or_null(std::size_t n) noexcept
{
  try
  {
    return new_or_throw(n);
  }
  catch (...)
  {
    return nullptr;
  }
}

} // namespace

std::uint64_t perf::allocations() noexcept
{
  return g_allocations.load(std::memory_order_relaxed);
}

void* operator new(std::size_t n) { return new_or_throw(n); }
void* operator new[](std::size_t n) { return new_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return new_or_null(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return new_or_null(n); }

void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { __libc_free(p); }

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include "alloc_interpose.h"
#endif
