// Size-classed op memory behind slab_allocate/slab_deallocate.
//
// Two tiers, after tcmalloc's thread caches and transfer depot:
//  - each thread keeps a free list per class (no lock, no atomic);
//  - when a thread's list for a class fills up, the whole list moves as one batch to a
//    process-wide depot for that class; a thread whose list is empty takes a batch back.
// The depot is what makes cross-thread traffic allocation-free: a thread that only posts
// (its ops are freed by the io_context thread) gets back, one lock per batch, the very
// blocks the consumer freed, instead of calling malloc once per post.
//
// Classes are powers of two from 32 B to 4 KiB: an op is a three-word header plus a handler,
// 32 B for a small posted lambda, 200-400 B for socket ops; larger requests go to operator
// new. Thread caches go to the depot when their thread exits; depot memory stays reachable
// (never freed), so leak checkers stay quiet.
//
// How much the depot keeps: resident_bytes per class for good, plus, shared by all
// classes, up to burst_bytes more until the process next goes idle (slab_trim, called by a
// scheduler thread about to block). A burst (a million handlers posted before run()) is
// then recycled as long as the burst lasts, which halves the cost of each post compared
// with malloc and free, and its peak memory is handed back to the heap once the process
// has nothing to do, rather than pinned for ever. A process that never idles keeps at most
// resident_bytes * class_count + burst_bytes.
#include <blitz/detail/slab_pool.hpp>

#include <atomic>
#include <mutex>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define BLITZ_SLAB_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BLITZ_SLAB_POISON 1
#endif
#endif
#ifdef BLITZ_SLAB_POISON
#include <sanitizer/asan_interface.h>
#endif

namespace blitz {
namespace detail {
namespace {

constexpr std::size_t min_shift = slab_min_shift;
constexpr std::size_t class_count = slab_class_count;
constexpr std::size_t batch_blocks = 256;
constexpr std::size_t resident_bytes = std::size_t(8) << 20;
constexpr std::size_t burst_bytes = std::size_t(64) << 20;
// How many pops ahead an allocation prefetches (free_block::ahead).
constexpr std::size_t lookahead = 8;

// A free block; the first block of a batch also links the batches in the depot.
//
// `ahead` is the block freed lookahead frees before this one, which lies that many places
// further down the list. A thread that allocates what another thread frees (a poster
// feeding an io_context) pops blocks whose lines sit in the other core's cache; following
// `next` alone it could start each miss only one pop ahead, while prefetching `ahead` keeps
// lookahead of them in flight. Only a hint: once pops and pushes mix on a list it may name
// any block, even one in use or back in the heap, and a prefetch never faults.
struct free_block
{
  free_block* next;
  free_block* next_batch;
  free_block* ahead;
  std::size_t batch_count; // valid in a batch's first block while it sits in the depot
};
static_assert(sizeof(free_block) <= (std::size_t(1) << min_shift), "fits the smallest class");

// Under AddressSanitizer a block is poisoned while it sits in a free list, so that an op,
// descriptor or handler used after its memory came back here is reported as the
// heap-use-after-free it is, instead of reading a recycled block that ASan believes live.
// The two links stay readable: LeakSanitizer does not follow pointers stored in poisoned
// memory, and would report every cached block but the list heads as leaked. So the first
// linked_bytes of a freed block are not covered; `ahead` and `batch_count` are, and the
// pool opens them for its own writes.
constexpr std::size_t linked_bytes = 2 * sizeof(free_block*);
#ifdef BLITZ_SLAB_POISON
inline void poison(const void* p, std::size_t n) noexcept { __asan_poison_memory_region(p, n); }
inline void unpoison(const void* p, std::size_t n) noexcept
{
  __asan_unpoison_memory_region(p, n);
}
#else
inline void poison(const void*, std::size_t) noexcept {}
inline void unpoison(const void*, std::size_t) noexcept {}
#endif
inline void poison_free(free_block* b, std::size_t block_bytes) noexcept
{
  poison(reinterpret_cast<char*>(b) + linked_bytes, block_bytes - linked_bytes);
}

struct depot
{
  std::mutex mutex; // guards batches and count; never held while calling into the heap
  free_block* batches = nullptr;
  std::size_t count = 0;
};

// Bytes the depots hold beyond their resident caps, all classes together. Relaxed: a
// budget, changed by RMW so that concurrent puts never overdraw it, and read by slab_trim
// as a hint (it re-checks each depot under its mutex).
std::atomic<std::size_t> burst_in_use{0};

depot* depots()
{
  // Never destroyed: threads exiting after static destruction still hand blocks back.
  static depot* d = new depot[class_count];
  return d;
}

std::size_t block_size(std::size_t c) { return std::size_t(1) << (c + min_shift); }
std::size_t batch_bytes(std::size_t c) { return batch_blocks * block_size(c); }
std::size_t resident_cap(std::size_t c) { return resident_bytes / batch_bytes(c); }

// Takes one batch's worth of the burst budget, or returns false when it is spent.
bool draw_burst(std::size_t bytes)
{
  std::size_t used = burst_in_use.load(std::memory_order_relaxed);
  do
    if (used + bytes > burst_bytes)
      return false;
  while (!burst_in_use.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

// Returns false when the depot is full (the caller frees the batch to the heap).
bool depot_put(std::size_t c, free_block* batch, std::size_t n)
{
  depot& d = depots()[c];
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.count >= resident_cap(c) && !draw_burst(batch_bytes(c)))
    return false;
  batch->next_batch = d.batches;
  unpoison(&batch->batch_count, sizeof batch->batch_count);
  batch->batch_count = n;
  poison(&batch->batch_count, sizeof batch->batch_count);
  d.batches = batch;
  ++d.count;
  return true;
}

free_block* depot_take(std::size_t c)
{
  depot& d = depots()[c];
  std::lock_guard<std::mutex> lock(d.mutex);
  free_block* b = d.batches;
  if (b)
  {
    d.batches = b->next_batch;
    if (d.count-- > resident_cap(c))
      burst_in_use.fetch_sub(batch_bytes(c), std::memory_order_relaxed);
  }
  return b;
}

void free_list(free_block* b, std::size_t c)
{
  while (b)
  {
    unpoison(b, block_size(c)); // back to the heap, which tracks it from here
    free_block* next = b->next;
    ::operator delete(b);
    b = next;
  }
}

// Trivially destructible and constant-initialised on purpose: every access to a
// thread_local with a destructor goes through an initialisation wrapper call, and this one
// is touched twice per op. The destructor lives in cache_owner, registered the first time
// the cache holds blocks.
struct thread_cache
{
  enum : unsigned char
  {
    unused, // no blocks yet, owner not registered
    alive,
    dead // the thread is exiting: frees go straight back to the heap (a static
         // io_context destroyed at exit, after thread_local destructors ran)
  };
  free_block* head[class_count];
  std::size_t count[class_count];
  // The last lookahead blocks freed per class; the oldest sits at count % lookahead.
  free_block* freed[class_count][lookahead];
  unsigned char state;

  void release(std::size_t c)
  {
    if (head[c] && !depot_put(c, head[c], count[c]))
      free_list(head[c], c);
    head[c] = nullptr;
    count[c] = 0;
    // Those went with the list: the next list's blocks must not point into it.
    for (free_block*& f : freed[c])
      f = nullptr;
  }
};

thread_local thread_cache cache = {};

struct cache_owner
{
  ~cache_owner()
  {
    cache.state = thread_cache::dead;
    for (std::size_t c = 0; c < class_count; ++c)
      cache.release(c);
  }
};

// The cache is about to hold blocks: make sure they are handed back when the thread ends.
void adopt_cache() noexcept
{
  static thread_local cache_owner owner;
  (void)owner;
  cache.state = thread_cache::alive;
}

// The fast paths below are all an op pays per allocation and free. Whatever may take a lock
// or call the heap is kept out of line so that these compile to a handful of instructions
// with no register spills.
inline void push_free(thread_cache& tc, void* p, std::size_t c) noexcept
{
  free_block* b = static_cast<free_block*>(p);
  b->next = tc.head[c];
  free_block*& oldest = tc.freed[c][tc.count[c] % lookahead];
  b->ahead = oldest;
  oldest = b;
  tc.head[c] = b;
  ++tc.count[c];
  poison_free(b, block_size(c));
}

// The slow half of slab_allocate_class: the thread's list for c is empty.
__attribute__((noinline)) void* refill_and_allocate(std::size_t c)
{
  thread_cache& tc = cache;
  if (tc.state != thread_cache::dead)
  {
    if (tc.state == thread_cache::unused)
      adopt_cache();
    if (free_block* b = depot_take(c))
    {
      unpoison(b, block_size(c));
      tc.head[c] = b->next;
      tc.count[c] = b->batch_count - 1;
      __builtin_prefetch(b->ahead, 1); // as in slab_allocate_class
      return b;
    }
  }
  return ::operator new(block_size(c));
}

// The slow half of slab_deallocate_class: the cache is not in use yet, is full for c, or
// its thread is exiting.
__attribute__((noinline)) void deallocate_slow(void* p, std::size_t c) noexcept
{
  thread_cache& tc = cache;
  if (tc.state == thread_cache::dead)
  {
    ::operator delete(p);
    return;
  }
  if (tc.state == thread_cache::unused)
    adopt_cache();
  if (tc.count[c] == batch_blocks)
    tc.release(c);
  push_free(tc, p, c);
}

} // namespace

void* slab_allocate_class(std::size_t c)
{
  thread_cache& tc = cache;
  free_block* b = tc.head[c];
  if (!b)
    return refill_and_allocate(c);
  unpoison(b, block_size(c));
  tc.head[c] = b->next;
  // For writing: the op is built there, and a store still waiting for its line would
  // also hold up the locked push that publishes the op to another thread.
  __builtin_prefetch(b->ahead, 1);
  --tc.count[c];
  return b;
}

void slab_deallocate_class(void* p, std::size_t c) noexcept
{
  thread_cache& tc = cache;
  if (tc.state != thread_cache::alive || tc.count[c] == batch_blocks)
    return deallocate_slow(p, c);
  push_free(tc, p, c);
}

bool slab_trim_pending() noexcept
{
  // Relaxed: a hint, as in slab_trim.
  return burst_in_use.load(std::memory_order_relaxed) != 0;
}

bool slab_trim(std::size_t max_batches) noexcept
{
  if (burst_in_use.load(std::memory_order_relaxed) == 0)
    return false;
  for (std::size_t c = 0; c < class_count && max_batches > 0; ++c)
  {
    depot& d = depots()[c];
    free_block* doomed = nullptr;
    {
      std::lock_guard<std::mutex> lock(d.mutex);
      while (d.count > resident_cap(c) && max_batches > 0)
      {
        free_block* b = d.batches;
        d.batches = b->next_batch;
        --d.count;
        burst_in_use.fetch_sub(batch_bytes(c), std::memory_order_relaxed);
        b->next_batch = doomed;
        doomed = b;
        --max_batches;
      }
    }
    while (doomed)
    {
      free_block* next = doomed->next_batch;
      free_list(doomed, c);
      doomed = next;
    }
  }
  return burst_in_use.load(std::memory_order_relaxed) != 0;
}

std::size_t slab_depot_bytes() noexcept
{
  std::size_t total = 0;
  for (std::size_t c = 0; c < class_count; ++c)
  {
    depot& d = depots()[c];
    std::lock_guard<std::mutex> lock(d.mutex);
    total += d.count * batch_bytes(c);
  }
  return total;
}

} // namespace detail
} // namespace blitz
