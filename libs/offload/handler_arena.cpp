// The per-thread bump blocks behind arena_allocate / arena_deallocate; see
// include/blitz/detail/handler_arena.hpp for the block layout and the counting rule.
#include <blitz/detail/handler_arena.hpp>

#include <atomic>
#include <cstdint>

namespace blitz {
namespace detail {
namespace {

// Larger than any number of items a block can hold, so `live` cannot reach 0 while the
// owning thread may still carve from the block.
constexpr long bias = 1L << 40;
constexpr std::size_t header_size = 16; // keeps the first item 16-byte alignable

struct block_header
{
  std::atomic<long> live;
};

void release_block(block_header* b) noexcept
{
  b->~block_header();
  slab_deallocate(b, arena_block_size);
}

// acq_rel: the thread that returns the block must see every other thread's last use of its
// items (their handlers' destructors) before the memory is reused; each subtraction
// publishes its thread's use.
void drop(block_header* b, long n) noexcept
{
  if (b->live.fetch_sub(n, std::memory_order_acq_rel) == n)
    release_block(b);
}

struct thread_arena
{
  block_header* block = nullptr;
  char* cur = nullptr;
  char* end = nullptr;
  long carved = 0;
  // Handlers can still be posted after this thread's arena died (a static object's
  // destructor at exit runs after thread_local destructors): those get a block of their
  // own, so that nothing is left behind for the dead arena to retire.
  bool alive = true;

  // Give up the current block: the subtraction that settles its count.
  void retire() noexcept
  {
    if (block)
      drop(block, bias - carved);
    block = nullptr;
    cur = end = nullptr;
    carved = 0;
  }
  ~thread_arena()
  {
    retire();
    alive = false;
  }
};

thread_local thread_arena arena;

inline char* align_up(char* p, std::size_t a) noexcept
{
  auto v = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<char*>((v + a - 1) & ~static_cast<std::uintptr_t>(a - 1));
}

} // namespace

void* arena_allocate(std::size_t size, std::size_t align)
{
  if (align < alignof(void*))
    align = alignof(void*);
  thread_arena& a = arena;
  if (!a.alive)
  {
    void* mem = slab_allocate(arena_block_size);
    block_header* b = new (mem) block_header{};
    b->live.store(1, std::memory_order_relaxed); // its one item; no owner will retire it
    char* item = align_up(static_cast<char*>(mem) + header_size + sizeof(void*), align);
    reinterpret_cast<block_header**>(item)[-1] = b;
    return item;
  }
  char* item = a.cur ? align_up(a.cur + sizeof(void*), align) : nullptr;
  if (!item || item + size > a.end)
  {
    void* mem = slab_allocate(arena_block_size);
    a.retire();
    a.block = new (mem) block_header{};
    // Relaxed: the block is not shared until an item from it is published (by the strand
    // queue's release link), which carries this store with it.
    a.block->live.store(bias, std::memory_order_relaxed);
    a.cur = static_cast<char*>(mem) + header_size;
    a.end = static_cast<char*>(mem) + arena_block_size;
    item = align_up(a.cur + sizeof(void*), align);
  }
  reinterpret_cast<block_header**>(item)[-1] = a.block;
  a.cur = item + size;
  ++a.carved;
  return item;
}

void arena_deallocate(void* p) noexcept
{
  drop(static_cast<block_header**>(p)[-1], 1);
}

} // namespace detail
} // namespace blitz
