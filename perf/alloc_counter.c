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
 * The functions are perf/alloc_interpose.h's, which perf/counting_alloc.cpp uses for the
 * micro benchmarks: they forward to glibc's own implementation. Allocations made before the
 * constructor has mapped FILE (the dynamic loader's, libc's start-up) are not counted: the
 * bench reads differences over load runs long after start-up. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

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

static inline void count_allocation(void)
{
  /* Relaxed: the reader only wants a total, read between load runs; the servers measured
   * run their handlers on one thread anyway. */
  if (counter)
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

#include "alloc_interpose.h"
