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

namespace blitz {
namespace detail {

void* slab_allocate(std::size_t size);
void slab_deallocate(void* p, std::size_t size) noexcept;

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

} // namespace detail
} // namespace blitz

#endif
