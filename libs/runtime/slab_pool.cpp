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
// new. The depot holds at most depot_bytes per class, so a burst (a million posted
// handlers) does not pin its peak memory forever. Thread caches go to the depot when their
// thread exits; depot memory stays reachable (never freed), so leak checkers stay quiet.
#include <blitz/detail/slab_pool.hpp>

#include <mutex>
#include <new>

namespace blitz {
namespace detail {
namespace {

constexpr std::size_t min_shift = 5;   // 32 B
constexpr std::size_t class_count = 8; // 32 .. 4096
constexpr std::size_t batch_blocks = 256;
constexpr std::size_t depot_bytes = std::size_t(8) << 20;

// A free block; the first block of a batch also links the batches in the depot.
struct free_block
{
  free_block* next;
  free_block* next_batch;
  std::size_t batch_count; // valid in a batch's first block while it sits in the depot
};
static_assert(sizeof(free_block) <= (std::size_t(1) << min_shift), "fits the smallest class");

struct depot
{
  std::mutex mutex; // guards batches and count; never held while calling into the heap
  free_block* batches = nullptr;
  std::size_t count = 0;
};

depot* depots()
{
  // Never destroyed: threads exiting after static destruction still hand blocks back.
  static depot* d = new depot[class_count];
  return d;
}

std::size_t block_size(std::size_t c) { return std::size_t(1) << (c + min_shift); }
std::size_t depot_cap(std::size_t c) { return depot_bytes / (batch_blocks * block_size(c)); }

// Returns false when the depot is full (the caller frees the batch to the heap).
bool depot_put(std::size_t c, free_block* batch, std::size_t n)
{
  depot& d = depots()[c];
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.count >= depot_cap(c))
    return false;
  batch->next_batch = d.batches;
  batch->batch_count = n;
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
    --d.count;
  }
  return b;
}

void free_list(free_block* b)
{
  while (b)
  {
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
  unsigned char state;

  void release(std::size_t c)
  {
    if (head[c] && !depot_put(c, head[c], count[c]))
      free_list(head[c]);
    head[c] = nullptr;
    count[c] = 0;
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

// The class index for size, or class_count when the size is too large to pool.
inline std::size_t class_of(std::size_t size) noexcept
{
  if (size <= (std::size_t(1) << min_shift))
    return 0;
  // Index of the smallest power of two >= size, relative to the smallest class.
  std::size_t bits = sizeof(unsigned long) * 8 - static_cast<std::size_t>(__builtin_clzl(size - 1));
  std::size_t c = bits - min_shift;
  return c < class_count ? c : class_count;
}

} // namespace

void* slab_allocate(std::size_t size)
{
  std::size_t c = class_of(size);
  if (c == class_count)
    return ::operator new(size);
  thread_cache& tc = cache;
  if (!tc.head[c] && tc.state != thread_cache::dead)
  {
    if (tc.state == thread_cache::unused)
      adopt_cache();
    tc.head[c] = depot_take(c);
    tc.count[c] = tc.head[c] ? tc.head[c]->batch_count : 0;
  }
  if (free_block* b = tc.head[c])
  {
    tc.head[c] = b->next;
    // Blocks often come back from another thread's cache (a consumer of posts): fetching
    // the next one now, for writing, overlaps its miss with this op's life instead of
    // stalling the next allocation on it.
    __builtin_prefetch(b->next, 1);
    --tc.count[c];
    return b;
  }
  return ::operator new(block_size(c));
}

void slab_deallocate(void* p, std::size_t size) noexcept
{
  std::size_t c = class_of(size);
  thread_cache& tc = cache;
  if (c == class_count || tc.state == thread_cache::dead)
  {
    ::operator delete(p);
    return;
  }
  if (tc.state == thread_cache::unused)
    adopt_cache();
  if (tc.count[c] == batch_blocks)
    tc.release(c);
  free_block* b = static_cast<free_block*>(p);
  b->next = tc.head[c];
  tc.head[c] = b;
  ++tc.count[c];
}

} // namespace detail
} // namespace blitz
