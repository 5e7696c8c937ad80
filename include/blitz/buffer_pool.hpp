// Receive buffers lent by the framework instead of owned by each connection.
//
//   blitz::buffer_pool pool(ctx, 4096);            // 4 KiB buffers, grown on demand
//   socket.async_receive(pool, [](error_code ec, blitz::pooled_buffer b) {
//     // b.data(), b.size(): the bytes received; the buffer goes back when b is destroyed
//   });
//
// On io_uring the pool is a provided-buffer ring (IORING_REGISTER_PBUF_RING): a pending
// receive names the pool, and the kernel picks a buffer only when data arrives. On epoll the
// receive takes a buffer only once the socket is readable. Either way an idle connection
// holds no buffer, which is what lets a server keep many thousands of them cheaply.
//
// An empty pool grows (a chunk of buffers at a time) up to its limit; at the limit a receive
// waits until a buffer is returned. Neither is ever reported to the handler.
#ifndef BLITZ_BUFFER_POOL_HPP
#define BLITZ_BUFFER_POOL_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/buffer_pool_impl.hpp>
#include <blitz/io_context.hpp>

#include <cstddef>
#include <utility>

namespace blitz {

// One buffer on loan from a buffer_pool, holding the bytes a receive delivered. Move-only;
// the buffer returns to its pool when the handle is destroyed or reset(). A handle stays
// valid after its pool object is destroyed.
class pooled_buffer
{
public:
  pooled_buffer() noexcept = default;
  pooled_buffer(pooled_buffer&& o) noexcept
    : pool_(o.pool_), id_(o.id_), size_(o.size_)
  {
    o.pool_ = nullptr;
  }
  pooled_buffer& operator=(pooled_buffer&& o) noexcept
  {
    if (this != &o)
    {
      reset();
      pool_ = o.pool_;
      id_ = o.id_;
      size_ = o.size_;
      o.pool_ = nullptr;
    }
    return *this;
  }
  pooled_buffer(const pooled_buffer&) = delete;
  pooled_buffer& operator=(const pooled_buffer&) = delete;
  ~pooled_buffer() { reset(); }

  void* data() const noexcept { return pool_ ? pool_->address(id_) : nullptr; }
  std::size_t size() const noexcept { return pool_ ? size_ : 0; }
  bool empty() const noexcept { return size() == 0; }
  // The buffer's full length; size() is what the receive filled.
  std::size_t capacity() const noexcept { return pool_ ? pool_->buffer_size() : 0; }
  explicit operator bool() const noexcept { return pool_ != nullptr; }
  mutable_buffer buffer() const noexcept { return mutable_buffer(data(), size()); }

  // Returns the buffer to its pool now.
  void reset() noexcept
  {
    if (detail::buffer_pool_impl* p = pool_)
    {
      pool_ = nullptr;
      p->give_back(id_);
      p->release();
    }
  }

  // Adopts buffer id of pool p (which must already count this handle's reference).
  static pooled_buffer adopt(detail::buffer_pool_impl* p, std::int32_t id, std::size_t n) noexcept
  {
    pooled_buffer b;
    b.pool_ = p;
    b.id_ = id;
    b.size_ = n;
    return b;
  }

private:
  detail::buffer_pool_impl* pool_ = nullptr;
  std::int32_t id_ = -1;
  std::size_t size_ = 0;
};

inline mutable_buffer buffer(const pooled_buffer& b) noexcept { return b.buffer(); }

class buffer_pool
{
public:
  // buffer_size bytes per buffer; `initial` buffers now, more on demand up to `limit`
  // (at most 32,768). Throws std::invalid_argument for sizes outside those bounds, and
  // system_error if the kernel refuses the ring.
  buffer_pool(io_context& ctx, std::size_t buffer_size, unsigned initial = 64,
              unsigned limit = 4096)
    : impl_(detail::buffer_pool_impl::create(ctx.impl(), buffer_size, initial, limit))
  {
  }
  // Receives still pending on the pool end with operation_aborted; buffers on loan stay
  // valid until their handles are gone.
  ~buffer_pool()
  {
    impl_->close();
    impl_->release();
  }
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  std::size_t buffer_size() const noexcept { return impl_->buffer_size(); }
  // Buffers allocated so far, and how many of them are free.
  unsigned capacity() const noexcept { return impl_->capacity(); }
  unsigned available() const noexcept { return impl_->available(); }
  unsigned limit() const noexcept { return impl_->limit(); }

  detail::buffer_pool_impl* impl() const noexcept { return impl_; }

private:
  detail::buffer_pool_impl* impl_;
};

} // namespace blitz

#endif
