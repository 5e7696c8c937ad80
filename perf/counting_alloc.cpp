// Counts heap allocations by replacing the global operator new and interposing the C
// allocation functions.
//
// operator new alone is not enough for a fair comparison: Asio allocates its handler memory
// with aligned allocation (posix_memalign through Boost.Align in C++14, aligned_alloc in
// C++17), which never reaches operator new. So malloc and friends are defined here as well,
// counting and then forwarding to glibc's own implementation (__libc_*). The memory still
// comes from glibc's allocator, so free, malloc_usable_size and everything not defined here
// keep working unchanged. Glibc-specific, as the benchmarks are Linux-only.
//
// This file must not include <cstdlib> or <malloc.h>: the definitions below are those
// functions. Under AddressSanitizer or ThreadSanitizer the C functions are left to the
// sanitizer's own interceptors (only operator new is counted then), which a second malloc
// definition would bypass.
#include "counting_alloc.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
void* __libc_valloc(std::size_t) noexcept;
void* __libc_pvalloc(std::size_t) noexcept;
void __libc_free(void*) noexcept;
}

namespace {

// Relaxed: only the total matters, read after the threads that allocated have been joined
// or have handed their results over through the benchmark's own synchronisation.
std::atomic<std::uint64_t> g_allocations{0};

inline void count() noexcept { g_allocations.fetch_add(1, std::memory_order_relaxed); }

void* new_or_throw(std::size_t n)
{
  count();
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
extern "C" {

void* malloc(std::size_t n) noexcept
{
  count();
  return __libc_malloc(n);
}

void* calloc(std::size_t n, std::size_t size) noexcept
{
  count();
  return __libc_calloc(n, size);
}

// Counted: a realloc that grows usually moves, which costs what an allocation costs.
void* realloc(void* p, std::size_t n) noexcept
{
  count();
  return __libc_realloc(p, n);
}

void* memalign(std::size_t align, std::size_t n) noexcept
{
  count();
  return __libc_memalign(align, n);
}

void* aligned_alloc(std::size_t align, std::size_t n) noexcept
{
  count();
  return __libc_memalign(align, n);
}

int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept
{
  // POSIX: a power of two that is a multiple of sizeof(void*), else EINVAL.
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0)
    return EINVAL;
  count();
  void* p = __libc_memalign(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(std::size_t n) noexcept
{
  count();
  return __libc_valloc(n);
}

void* pvalloc(std::size_t n) noexcept
{
  count();
  return __libc_pvalloc(n);
}

} // extern "C"
#endif
