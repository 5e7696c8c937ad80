// Per-thread recycling of op memory by size class.
//
// Every async operation allocates one op; an echo loop would otherwise call malloc/free
// twice per round trip. Freed blocks go onto the freeing thread's cache for their size
// class and the next op of that class on that thread takes them back, so steady state makes
// no heap calls. A block freed on another thread than the one that allocated it simply
// joins that other thread's cache: blocks carry no owner, only a size class.
#ifndef BLITZ_DETAIL_SLAB_POOL_HPP
#define BLITZ_DETAIL_SLAB_POOL_HPP

#include <cstddef>
#include <memory>
#include <new>

namespace blitz {
namespace detail {

// Size classes are powers of two from 32 B to 4 KiB; larger requests go to operator new.
constexpr std::size_t slab_min_shift = 5;
constexpr std::size_t slab_class_count = 8;

// The class for size, or slab_class_count when it is too large to pool. Inline and
// constexpr because nearly every caller passes sizeof(Op): the class then folds to a
// constant and an allocation costs the free-list pop alone.
constexpr std::size_t slab_class_of(std::size_t size) noexcept
{
  if (size <= (std::size_t(1) << slab_min_shift))
    return 0;
  // Index of the smallest power of two >= size, relative to the smallest class.
  std::size_t c = sizeof(unsigned long) * 8 - static_cast<std::size_t>(__builtin_clzl(size - 1)) -
                  slab_min_shift;
  return c < slab_class_count ? c : slab_class_count;
}
static_assert(slab_class_of(1) == 0 && slab_class_of(32) == 0 && slab_class_of(33) == 1 &&
                slab_class_of(4096) == slab_class_count - 1 &&
                slab_class_of(4097) == slab_class_count,
              "classes are the powers of two from 32 B to 4 KiB");

// A block of class c (c < slab_class_count), and its way back.
void* slab_allocate_class(std::size_t c);
void slab_deallocate_class(void* p, std::size_t c) noexcept;

inline void* slab_allocate(std::size_t size)
{
  std::size_t c = slab_class_of(size);
  return c < slab_class_count ? slab_allocate_class(c) : ::operator new(size);
}

inline void slab_deallocate(void* p, std::size_t size) noexcept
{
  std::size_t c = slab_class_of(size);
  if (c < slab_class_count)
    slab_deallocate_class(p, c);
  else
    ::operator delete(p);
}
// Hands back to the heap up to max_batches batches (256 blocks each) of what the depots
// keep beyond their resident caps after a burst; true while some such memory remains.
// Called by a thread with nothing to do, before it blocks.
bool slab_trim(std::size_t max_batches) noexcept;
// Whether slab_trim has anything to hand back (a hint, read without a lock).
bool slab_trim_pending() noexcept;
// Bytes the process-wide depots hold (thread caches not included): for tests.
std::size_t slab_depot_bytes() noexcept;

// Owns memory for an op under construction; releases it unless the op takes ownership.
// Mirrors the allocate -> construct -> (exception) -> free sequence of every initiation.
template <class Op>
class op_memory
{
public:
  op_memory() : p_(slab_allocate(sizeof(Op))) {}
  op_memory(const op_memory&) = delete;
  op_memory& operator=(const op_memory&) = delete;
  ~op_memory()
  {
    if (p_)
      slab_deallocate(p_, sizeof(Op));
  }
  void* get() const noexcept { return p_; }
  void release() noexcept { p_ = nullptr; }

private:
  void* p_;
};

// Constructs an Op in slab memory; if the constructor throws the memory is returned.
template <class Op, class... Args>
Op* new_op(Args&&... args)
{
  op_memory<Op> mem;
  Op* o = new (mem.get()) Op(static_cast<Args&&>(args)...);
  mem.release();
  return o;
}

template <class Op>
void delete_op(Op* o) noexcept
{
  o->~Op();
  slab_deallocate(o, sizeof(Op));
}

// Memory for ops whose handler carries its own allocator (associated_allocator). Any
// std::allocator means "no preference" and maps to the slab pool.
template <class T>
void* op_allocate(const std::allocator<T>&, std::size_t n)
{
  return slab_allocate(n);
}
template <class T>
void op_deallocate(const std::allocator<T>&, void* p, std::size_t n) noexcept
{
  slab_deallocate(p, n);
}

// Rebound to max_align_t so that ops of any alignment fit, whatever value type the user's
// allocator was declared with.
template <class Alloc>
void* op_allocate(const Alloc& a, std::size_t n)
{
  using unit = std::max_align_t;
  typename std::allocator_traits<Alloc>::template rebind_alloc<unit> r(a);
  return std::allocator_traits<decltype(r)>::allocate(r, (n + sizeof(unit) - 1) / sizeof(unit));
}
template <class Alloc>
void op_deallocate(const Alloc& a, void* p, std::size_t n) noexcept
{
  using unit = std::max_align_t;
  typename std::allocator_traits<Alloc>::template rebind_alloc<unit> r(a);
  std::allocator_traits<decltype(r)>::deallocate(r, static_cast<unit*>(p),
                                                 (n + sizeof(unit) - 1) / sizeof(unit));
}

// new_op / delete_op with the handler's allocator.
template <class Op, class Alloc, class... Args>
Op* new_op_with(const Alloc& a, Args&&... args)
{
  void* mem = op_allocate(a, sizeof(Op));
  try
  {
    return new (mem) Op(static_cast<Args&&>(args)...);
  }
  catch (...)
  {
    op_deallocate(a, mem, sizeof(Op));
    throw;
  }
}

template <class Op, class Alloc>
void delete_op_with(Op* o, const Alloc& a) noexcept
{
  o->~Op();
  op_deallocate(a, o, sizeof(Op));
}

} // namespace detail
} // namespace blitz

#endif
