// The shared state behind buffer_pool: the buffers, which ones are free, and (on io_uring)
// the provided-buffer ring the kernel picks receive buffers from.
//
// Buffers live in chunks of a power-of-two count, allocated as the pool grows and never
// moved, so a buffer id maps to a fixed address. Ids are 16 bits (the kernel's limit),
// which caps a pool at 32,768 buffers.
//
// Where free buffers are: on io_uring in the kernel's ring (a returned buffer is provided
// again; the kernel takes one when data arrives, so an idle receive holds no buffer); on a
// reactor backend in free_, from which perform() takes one only once the socket is
// readable.
//
// Lifetime: reference-counted. The public buffer_pool, every pooled_buffer and every
// pending receive hold a reference, so a buffer handed out stays valid after the pool object
// is gone; closing (the pool object's destructor) unregisters the ring.
#ifndef BLITZ_DETAIL_BUFFER_POOL_IMPL_HPP
#define BLITZ_DETAIL_BUFFER_POOL_IMPL_HPP

#include <blitz/detail/backend.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace blitz {
namespace detail {

class scheduler;

class buffer_pool_impl
{
public:
  static constexpr unsigned max_buffers = 32768;

  // Throws system_error when the ring cannot be registered, invalid_argument for sizes the
  // kernel cannot express. The new pool holds one reference.
  static buffer_pool_impl* create(scheduler& s, std::size_t buffer_size, unsigned initial,
                                  unsigned limit);

  void add_ref() noexcept
  {
    // Relaxed: a new reference is always made from an existing one.
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept
  {
    // acq_rel: the thread that frees must see every other holder's writes to the buffers.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

  // The pool object goes away: no more provided buffers; receives still pending end with
  // operation_aborted.
  void close() noexcept;
  bool closed() const noexcept;

  std::size_t buffer_size() const noexcept { return size_; }
  unsigned group() const noexcept { return ring_ ? ring_->group() : 0; }
  bool uses_ring() const noexcept { return ring_ != nullptr; }
  unsigned capacity() const noexcept;
  unsigned limit() const noexcept { return limit_; }
  unsigned available() const noexcept;

  char* address(std::int32_t id) const noexcept
  {
    // Acquire: pairs with the release that published the chunk in grow_locked().
    char* base = chunks_[static_cast<unsigned>(id) >> chunk_shift_].load(std::memory_order_acquire);
    return base + (static_cast<std::size_t>(id) & ((1u << chunk_shift_) - 1)) * size_;
  }

  // Reactor backends: a free buffer, growing the pool if none is; false at the limit.
  bool take(std::int32_t& id) noexcept;
  // Any thread: the buffer is free again (provided to the kernel again on io_uring). Wakes
  // receives that were starved for a buffer.
  void give_back(std::int32_t id) noexcept;
  // io_uring: a completion says the kernel took buffer id from the ring.
  void consumed() noexcept;
  // io_uring: the ring ran dry (-ENOBUFS). Adds buffers; false at the limit.
  bool grow() noexcept;

  // A backend parks a receive that found no buffer at the limit: it raises the count, then
  // checks available() once more (a buffer returned in between is then not missed: see
  // give_back). Lowered when the receive is resumed or cancelled.
  void starving(int delta) noexcept
  {
    // Relaxed: ordered against give_back by mutex_ (available() and give_back both take it).
    starving_.fetch_add(delta, std::memory_order_relaxed);
  }

private:
  buffer_pool_impl(scheduler& s, std::size_t size, unsigned chunk_shift, unsigned limit);
  ~buffer_pool_impl();
  bool grow_locked(unsigned want) noexcept;
  void provide_locked(std::int32_t id) noexcept;

  scheduler& sched_;
  const std::size_t size_;
  const unsigned chunk_shift_;
  const unsigned limit_;
  std::unique_ptr<std::atomic<char*>[]> chunks_;
  std::atomic<int> refs_{1};
  std::atomic<int> starving_{0};

  mutable std::mutex mutex_; // guards everything below
  std::unique_ptr<buffer_ring> ring_;
  bool closed_ = false;
  unsigned capacity_ = 0;  // buffers allocated
  unsigned available_ = 0; // in the ring or in free_
  std::vector<std::int32_t> free_; // reactor backends
};

// A counted reference held by a pending receive or a pooled_buffer.
class pool_ref
{
public:
  pool_ref() noexcept = default;
  explicit pool_ref(buffer_pool_impl* p) noexcept : p_(p)
  {
    if (p_)
      p_->add_ref();
  }
  pool_ref(const pool_ref& o) noexcept : pool_ref(o.p_) {}
  pool_ref(pool_ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  pool_ref& operator=(pool_ref o) noexcept
  {
    std::swap(p_, o.p_);
    return *this;
  }
  ~pool_ref()
  {
    if (p_)
      p_->release();
  }
  buffer_pool_impl* get() const noexcept { return p_; }
  // Gives up the reference without dropping it: a pooled_buffer adopts it.
  buffer_pool_impl* detach() noexcept
  {
    buffer_pool_impl* p = p_;
    p_ = nullptr;
    return p;
  }
  buffer_pool_impl* operator->() const noexcept { return p_; }

private:
  buffer_pool_impl* p_ = nullptr;
};

} // namespace detail
} // namespace blitz

#endif
