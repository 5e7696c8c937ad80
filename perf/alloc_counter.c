/* Counts the heap allocations of a program it is preloaded into, for tools/bench's echo
 * servers, which are built elsewhere (Tokio) or must not carry benchmark code:
 *
 *   BLITZ_ALLOC_COUNTER=FILE LD_PRELOAD=stage/bin/liballoc_counter.so PROGRAM ...
 *
 * FILE becomes eight bytes, a native-endian 64-bit count of every malloc, calloc, realloc
 * and aligned allocation since the program started, mapped shared so that another process
 * reads it while the program runs (`od -An -t u8 -N8 FILE`). C++ operator new and Rust's
 * system allocator both end in malloc, so every server is counted the same way.
 *
 * The functions forward to glibc's own implementation (__libc_*), as perf/counting_alloc.cpp
 * does for the micro benchmarks: the memory still comes from glibc's allocator, so free and
 * everything not defined here keep working unchanged. Allocations made before the
 * constructor has mapped FILE (the dynamic loader's, libc's start-up) are not counted: the
 * bench reads differences over load runs long after start-up. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void* __libc_valloc(size_t);
void* __libc_pvalloc(size_t);

static uint64_t* counter;

__attribute__((constructor)) static void map_counter(void)
{
  const char* path = getenv("BLITZ_ALLOC_COUNTER");
  if (!path)
    return;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (ftruncate(fd, sizeof(uint64_t)) == 0)
  {
    void* p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED)
      counter = (uint64_t*)p;
  }
  close(fd);
}

static inline void count(void)
{
  /* Relaxed: the reader only wants a total, read between load runs; the servers measured
   * run their handlers on one thread anyway. */
  if (counter)
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

void* malloc(size_t n)
{
  count();
  return __libc_malloc(n);
}

void* calloc(size_t n, size_t size)
{
  count();
  return __libc_calloc(n, size);
}

/* Counted: a realloc that grows usually moves, which costs what an allocation costs. */
void* realloc(void* p, size_t n)
{
  count();
  return __libc_realloc(p, n);
}

void* memalign(size_t align, size_t n)
{
  count();
  return __libc_memalign(align, n);
}

void* aligned_alloc(size_t align, size_t n)
{
  count();
  return __libc_memalign(align, n);
}

int posix_memalign(void** out, size_t align, size_t n)
{
  /* POSIX: a power of two that is a multiple of sizeof(void*), else EINVAL. */
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0)
    return EINVAL;
  count();
  void* p = __libc_memalign(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t n)
{
  count();
  return __libc_valloc(n);
}

void* pvalloc(size_t n)
{
  count();
  return __libc_pvalloc(n);
}
