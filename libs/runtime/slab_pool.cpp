// Size-classed per-thread free lists behind slab_allocate/slab_deallocate.
//
// Classes are powers of two from 32 B to 4 KiB: op sizes are the op header plus a handler,
// 32 B for a small posted lambda, 200-400 B for socket ops, so rounding to a power of two wastes little and keeps the class
// lookup a bit scan. Larger requests go straight to operator new. Each class caches at most
// `max_cached` blocks so a burst (100,000 pending ops) does not pin memory forever on the
// thread that freed them; the cache is emptied when the thread exits so leak checkers and
// long-lived processes with short-lived threads see every block returned.
#include <blitz/detail/slab_pool.hpp>

#include <new>

namespace blitz {
namespace detail {
namespace {

constexpr std::size_t min_shift = 5; // 32 B: a posted handler capturing a pointer or two
constexpr std::size_t class_count = 8; // 32 .. 4096
constexpr std::size_t max_cached = 256;

struct free_block
{
  free_block* next;
};

struct thread_cache
{
  free_block* head[class_count] = {};
  std::size_t count[class_count] = {};
  // Ops can still be freed after this thread's cache died (a static io_context destroyed
  // at exit, after thread_local destructors ran): those go straight back to the heap.
  bool alive = true;

  ~thread_cache()
  {
    alive = false;
    for (std::size_t c = 0; c < class_count; ++c)
      while (free_block* b = head[c])
      {
        head[c] = b->next;
        ::operator delete(b);
      }
  }
};

thread_local thread_cache cache;

// Returns the class index for size, or class_count when the size is too large to pool.
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
  if (free_block* b = tc.head[c])
  {
    tc.head[c] = b->next;
    --tc.count[c];
    return b;
  }
  return ::operator new(std::size_t(1) << (c + min_shift));
}

void slab_deallocate(void* p, std::size_t size) noexcept
{
  std::size_t c = class_of(size);
  if (c == class_count)
  {
    ::operator delete(p);
    return;
  }
  thread_cache& tc = cache;
  if (tc.count[c] >= max_cached || !tc.alive)
  {
    ::operator delete(p);
    return;
  }
  free_block* b = static_cast<free_block*>(p);
  b->next = tc.head[c];
  tc.head[c] = b;
  ++tc.count[c];
}

} // namespace detail
} // namespace blitz
