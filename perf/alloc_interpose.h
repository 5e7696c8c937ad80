/* The C allocation functions, each counting its call and forwarding to glibc's own
 * implementation (__libc_*). The memory still comes from glibc's allocator, so free,
 * malloc_usable_size and everything not defined here keep working unchanged. Glibc-specific,
 * as the benchmarks are Linux-only.
 *
 * Included once per program, by perf/counting_alloc.cpp (linked into the micro benchmarks)
 * or perf/alloc_counter.c (preloaded into echo servers), after it has defined its own
 * `count_allocation()`, with internal linkage. The includer must not include <malloc.h>,
 * nor <cstdlib> in C++: the definitions below are those functions. */
#ifndef BLITZ_PERF_ALLOC_INTERPOSE_H
#define BLITZ_PERF_ALLOC_INTERPOSE_H

#include <errno.h>
#include <stddef.h>

#ifdef __cplusplus
#define BLITZ_ALLOC_NOEXCEPT noexcept
extern "C" {
#else
#define BLITZ_ALLOC_NOEXCEPT
#endif

void* __libc_malloc(size_t) BLITZ_ALLOC_NOEXCEPT;
void* __libc_calloc(size_t, size_t) BLITZ_ALLOC_NOEXCEPT;
void* __libc_realloc(void*, size_t) BLITZ_ALLOC_NOEXCEPT;
void* __libc_memalign(size_t, size_t) BLITZ_ALLOC_NOEXCEPT;
void* __libc_valloc(size_t) BLITZ_ALLOC_NOEXCEPT;
void* __libc_pvalloc(size_t) BLITZ_ALLOC_NOEXCEPT;
void __libc_free(void*) BLITZ_ALLOC_NOEXCEPT;

void* malloc(size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_malloc(n);
}

void* calloc(size_t n, size_t size) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_calloc(n, size);
}

/* Counted: a realloc that grows usually moves, which costs what an allocation costs. */
void* realloc(void* p, size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_realloc(p, n);
}

void* memalign(size_t align, size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_memalign(align, n);
}

void* aligned_alloc(size_t align, size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_memalign(align, n);
}

int posix_memalign(void** out, size_t align, size_t n) BLITZ_ALLOC_NOEXCEPT
{
  /* POSIX: a power of two that is a multiple of sizeof(void*), else EINVAL. */
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0)
    return EINVAL;
  count_allocation();
  void* p = __libc_memalign(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_valloc(n);
}

void* pvalloc(size_t n) BLITZ_ALLOC_NOEXCEPT
{
  count_allocation();
  return __libc_pvalloc(n);
}

#ifdef __cplusplus
} /* extern "C" */
#endif
#undef BLITZ_ALLOC_NOEXCEPT

#endif
