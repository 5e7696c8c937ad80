// Progress through a user's buffer sequence for the composed read/write operations: they
// call prepare() to get the iovecs for the next readv/writev/sendmsg (or io_uring SQE),
// then consume() with the byte count the kernel reported, until empty() or the completion
// condition says stop.
//
// The position is kept as (element index, offset in element) rather than as an iterator,
// so copying or moving the object (which moves a by-value sequence, e.g. a std::vector of
// buffers, to new storage) never leaves a dangling iterator behind. Nothing here allocates;
// only copying a by-value Sequence can, if the Sequence's own copy does.
//
// Sequence may be a reference type (e.g. `const std::vector<const_buffer>&`) when the
// caller guarantees the sequence object outlives the operation, as a synchronous write
// can; asynchronous operations must store it by value, because Asio only requires the
// memory the buffers point to, not the sequence object itself, to stay alive.
#ifndef BLITZ_DETAIL_CONSUMING_BUFFERS_HPP
#define BLITZ_DETAIL_CONSUMING_BUFFERS_HPP

#include <blitz/buffer.hpp>

#include <cstddef>
#include <iterator>
#include <type_traits>

#include <sys/uio.h>

namespace blitz {
namespace detail {

template <typename T>
struct remove_cvref
{
  using type = typename std::remove_cv<typename std::remove_reference<T>::type>::type;
};

// iovec has no const variant; the kernel only reads through iov_base for a write.
inline void fill_iovec(::iovec& iov, const void* data, std::size_t size) noexcept
{
  iov.iov_base = const_cast<void*>(data);
  iov.iov_len = size;
}

template <typename Buffer, typename Sequence,
    bool SingleBuffer = is_single_buffer<typename remove_cvref<Sequence>::type>::value>
class consuming_buffers
{
  static_assert(std::is_same<Buffer, mutable_buffer>::value
          || std::is_same<Buffer, const_buffer>::value,
      "Buffer must be mutable_buffer or const_buffer");
  static_assert(is_buffer_sequence<typename remove_cvref<Sequence>::type, Buffer>::value,
      "Sequence is not a buffer sequence of the requested Buffer kind");

public:
  explicit consuming_buffers(const Sequence& buffers)
    : buffers_(buffers),
      total_size_(blitz::buffer_size(buffers)),
      total_consumed_(0),
      next_elem_(0),
      next_offset_(0)
  {
  }

  bool empty() const noexcept { return total_consumed_ >= total_size_; }

  std::size_t total_consumed() const noexcept { return total_consumed_; }

  // Marks n more bytes as transferred. n beyond what remains is clamped, so a caller can
  // pass a kernel result without checking it against the request first.
  void consume(std::size_t n) noexcept
  {
    const std::size_t remaining = total_size_ - total_consumed_;
    if (n > remaining)
      n = remaining;
    total_consumed_ += n;

    auto it = current();
    const auto end = blitz::buffer_sequence_end(buffers_);
    while (n > 0 && it != end)
    {
      const std::size_t left_in_elem = Buffer(*it).size() - next_offset_;
      if (n < left_in_elem)
      {
        next_offset_ += n;
        return;
      }
      n -= left_in_elem;
      next_offset_ = 0;
      ++next_elem_;
      ++it;
    }
  }

  // Writes at most max_iov iovecs covering at most max_bytes not-yet-consumed bytes and
  // returns how many it wrote. Zero-length pieces are left out: they would only use up
  // iovec slots (IOV_MAX is finite) and, for datagram sockets, change nothing.
  std::size_t prepare(std::size_t max_bytes, ::iovec* out, std::size_t max_iov) const noexcept
  {
    std::size_t count = 0;
    std::size_t offset = next_offset_;
    auto it = current();
    const auto end = blitz::buffer_sequence_end(buffers_);
    while (it != end && max_bytes > 0 && count < max_iov)
    {
      Buffer piece = Buffer(*it) + offset;
      offset = 0;
      ++it;
      if (piece.size() == 0)
        continue;
      const std::size_t n = clamp_size(piece.size(), max_bytes);
      fill_iovec(out[count], piece.data(), n);
      ++count;
      max_bytes -= n;
    }
    return count;
  }

private:
  // O(1) for the random-access iterators of vectors, arrays and std::array; a
  // bidirectional sequence pays a walk, as it does in Asio.
  auto current() const noexcept
  {
    auto it = blitz::buffer_sequence_begin(buffers_);
    std::advance(it, next_elem_);
    return it;
  }

  Sequence buffers_;
  std::size_t total_size_;
  std::size_t total_consumed_;
  std::size_t next_elem_;
  std::size_t next_offset_;
};

// The common case of one buffer: two words of state, trivially copyable.
template <typename Buffer, typename Sequence>
class consuming_buffers<Buffer, Sequence, true>
{
  static_assert(std::is_same<Buffer, mutable_buffer>::value
          || std::is_same<Buffer, const_buffer>::value,
      "Buffer must be mutable_buffer or const_buffer");
  static_assert(std::is_convertible<const typename remove_cvref<Sequence>::type&, Buffer>::value,
      "a const buffer cannot be consumed as a mutable one");

public:
  explicit consuming_buffers(const Sequence& buffer) noexcept
    : remaining_(buffer),
      total_consumed_(0)
  {
  }

  bool empty() const noexcept { return remaining_.size() == 0; }

  std::size_t total_consumed() const noexcept { return total_consumed_; }

  void consume(std::size_t n) noexcept
  {
    n = clamp_size(n, remaining_.size());
    remaining_ += n;
    total_consumed_ += n;
  }

  std::size_t prepare(std::size_t max_bytes, ::iovec* out, std::size_t max_iov) const noexcept
  {
    if (remaining_.size() == 0 || max_bytes == 0 || max_iov == 0)
      return 0;
    fill_iovec(out[0], remaining_.data(), clamp_size(remaining_.size(), max_bytes));
    return 1;
  }

private:
  Buffer remaining_;
  std::size_t total_consumed_;
};

} // namespace detail
} // namespace blitz

#endif
