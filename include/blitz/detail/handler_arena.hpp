// Memory for small handlers queued on strands: bump allocation from per-thread 4 KiB blocks
// that come from (and go back to) the slab pool.
//
// Why not the slab pool directly: a strand's handlers are typically posted by one thread
// and run (and freed) by another. The slab pool's per-thread caches then drain on the
// posting side and overflow on the running side, so a burst of posts costs one malloc and
// one free per handler. Here the posting thread carves handlers out of its current block
// with a pointer bump, and the block goes back to the slab pool once every handler carved
// from it has been freed, on whatever thread: one slab call per ~80 handlers.
//
// Block layout (block_size bytes, from slab_allocate):
//
//   [ live: atomic<long> | pad ][ back | item ][ back | item ] ...  free space ...
//
//   back  the block's address, in the 8 bytes before each item, so a free finds its block
//   live  starts at `bias`; every free subtracts 1; when the owning thread moves on to a new
//         block it subtracts (bias - items carved). Exactly one of those subtractions
//         reaches 0, whichever thread makes it, and that thread returns the block.
#ifndef BLITZ_DETAIL_HANDLER_ARENA_HPP
#define BLITZ_DETAIL_HANDLER_ARENA_HPP

#include <blitz/detail/slab_pool.hpp>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

namespace blitz {
namespace detail {

constexpr std::size_t arena_block_size = 4096;
// Larger handlers would waste the tail of a block; they go to the slab pool.
constexpr std::size_t arena_max_item = 512;

// align <= 16. Compiled in libs/offload/handler_arena.cpp.
void* arena_allocate(std::size_t size, std::size_t align);
void arena_deallocate(void* p) noexcept;

template <class Alloc>
struct is_std_allocator : std::false_type
{
};
template <class T>
struct is_std_allocator<std::allocator<T>> : std::true_type
{
};

// Whether an item of type Op whose handler has allocator Alloc lives in the arena. A
// handler with an allocator of its own always gets its memory from that allocator.
template <class Op, class Alloc>
struct in_arena
  : std::integral_constant<bool, is_std_allocator<Alloc>::value && sizeof(Op) <= arena_max_item &&
                                     alignof(Op) <= 16>
{
};

template <class Op, class Alloc, class... Args>
Op* new_item_in(std::true_type, const Alloc&, Args&&... args)
{
  void* mem = arena_allocate(sizeof(Op), alignof(Op));
  try
  {
    return new (mem) Op(static_cast<Args&&>(args)...);
  }
  catch (...)
  {
    arena_deallocate(mem);
    throw;
  }
}

template <class Op, class Alloc, class... Args>
Op* new_item_in(std::false_type, const Alloc& a, Args&&... args)
{
  return new_op_with<Op>(a, static_cast<Args&&>(args)...);
}

template <class Op, class Alloc, class... Args>
Op* new_item_with(const Alloc& a, Args&&... args)
{
  return new_item_in<Op>(in_arena<Op, Alloc>(), a, static_cast<Args&&>(args)...);
}

template <class Op, class Alloc>
void delete_item_in(std::true_type, Op* o, const Alloc&) noexcept
{
  o->~Op();
  arena_deallocate(o);
}

template <class Op, class Alloc>
void delete_item_in(std::false_type, Op* o, const Alloc& a) noexcept
{
  delete_op_with(o, a);
}

template <class Op, class Alloc>
void delete_item_with(Op* o, const Alloc& a) noexcept
{
  delete_item_in(in_arena<Op, Alloc>(), o, a);
}

} // namespace detail
} // namespace blitz

#endif
