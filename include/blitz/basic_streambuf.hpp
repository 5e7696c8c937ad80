// basic_streambuf: a growable byte buffer with a size cap, usable both as a dynamic buffer
// (prepare/commit/consume/data, what read/read_until/write use) and as a std::streambuf, so
// std::istream and std::ostream can parse and format directly in it (Asio's basic_streambuf).
//
// One contiguous block of storage holds, in order:
//
//     [ consumed | input sequence (data()) | output space (prepare()) ]
//     eback()    gptr()                    pptr()                    epptr()
//
// The input sequence always ends at pptr(), so bytes an ostream has put are part of data()
// at once, as in Asio. egptr() may lag behind pptr() until the next commit, consume or
// underflow; nothing but the istream machinery looks at it. The output space is exactly
// what the last prepare() asked for (or what an ostream grew it by), never more, so the
// max_size() cap holds for both interfaces. Consumed bytes are reclaimed by moving the
// input sequence to the front when more output space is needed, which keeps the buffer
// from growing when a reader keeps up with a writer.
#ifndef BLITZ_BASIC_STREAMBUF_HPP
#define BLITZ_BASIC_STREAMBUF_HPP

#include <blitz/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <streambuf>
#include <type_traits>
#include <vector>

namespace blitz {

template <class Allocator = std::allocator<char>>
class basic_streambuf : public std::streambuf
{
public:
  using const_buffers_type = const_buffers_1;
  using mutable_buffers_type = mutable_buffers_1;

  explicit basic_streambuf(std::size_t maximum_size = (std::numeric_limits<std::size_t>::max)(),
                           const Allocator& allocator = Allocator())
    : max_size_(maximum_size), storage_(allocator)
  {
    // A small first block even when the cap is tiny: the cap limits size(), not storage,
    // and a non-empty block keeps the stream pointers non-null.
    storage_.resize(initial_storage);
    reset_empty();
  }

  basic_streambuf(const basic_streambuf&) = delete;
  basic_streambuf& operator=(const basic_streambuf&) = delete;

  // Bytes in the input sequence.
  std::size_t size() const noexcept { return static_cast<std::size_t>(pptr() - gptr()); }
  std::size_t max_size() const noexcept { return max_size_; }
  // Bytes the input sequence and output space can hold without reallocating.
  std::size_t capacity() const noexcept { return storage_.size(); }

  // The input sequence. Invalidated by prepare() and by anything that writes to the stream.
  const_buffers_type data() const noexcept { return const_buffers_type(gptr(), size()); }

  // Output space for exactly n more bytes, valid until the next prepare/commit/consume.
  // Throws std::length_error when size() + n would exceed max_size().
  mutable_buffers_type prepare(std::size_t n)
  {
    reserve(n);
    return mutable_buffers_type(pptr(), n);
  }

  // Moves n bytes (at most what is prepared) from the output space to the input sequence.
  void commit(std::size_t n)
  {
    n = (std::min)(n, static_cast<std::size_t>(epptr() - pptr()));
    setp(pptr() + n, epptr());
    setg(eback(), gptr(), pptr());
  }

  // Removes n bytes (at most size()) from the front of the input sequence.
  void consume(std::size_t n)
  {
    n = (std::min)(n, size());
    if (n == size())
    {
      // Nothing left to keep: the whole block is output space again, no move needed later.
      reset_empty();
      return;
    }
    setg(eback(), gptr() + n, pptr());
  }

protected:
  // Storage grows in steps of at least this much when an ostream runs out of room.
  enum
  {
    initial_storage = 128,
    overflow_step = 128
  };

  int_type underflow() override
  {
    if (gptr() < pptr())
    {
      setg(eback(), gptr(), pptr());
      return traits_type::to_int_type(*gptr());
    }
    return traits_type::eof();
  }

  // A full put area: make room (within max_size) and store c. Returning eof makes the
  // ostream set badbit, which is how a stream reports "buffer at its cap".
  int_type overflow(int_type c) override
  {
    if (traits_type::eq_int_type(c, traits_type::eof()))
      return traits_type::not_eof(c);
    if (pptr() == epptr())
    {
      std::size_t used = size();
      if (used >= max_size_)
        return traits_type::eof();
      reserve((std::min)(static_cast<std::size_t>(overflow_step), max_size_ - used));
    }
    *pptr() = traits_type::to_char_type(c);
    setp(pptr() + 1, epptr());
    return c;
  }

  // Makes the output space exactly n bytes long (so commit never takes more than the last
  // prepare offered, and an ostream cannot write past max_size()), first by reclaiming
  // consumed bytes, then by growing the block.
  void reserve(std::size_t n)
  {
    const std::size_t used = size();
    if (used > max_size_ || n > max_size_ - used)
      throw std::length_error("blitz::basic_streambuf too long");
    std::size_t start = static_cast<std::size_t>(gptr() - eback());
    if (storage_.size() - start - used < n)
    {
      if (start > 0 && used > 0)
        std::memmove(&storage_[0], &storage_[0] + start, used);
      start = 0;
      if (storage_.size() < used + n)
      {
        storage_.resize(used + n);
        // resize() grew the allocation geometrically; use all of it, so the next prepare
        // of a similar size does not reallocate.
        storage_.resize(storage_.capacity());
      }
    }
    char* base = &storage_[0];
    setg(base, base + start, base + start + used);
    setp(base + start + used, base + start + used + n);
  }

private:
  // No data and no output space: the next prepare or ostream write starts at the front.
  void reset_empty() noexcept
  {
    char* base = &storage_[0];
    setg(base, base, base);
    setp(base, base);
  }

  std::size_t max_size_;
  std::vector<char, Allocator> storage_;
};

// A dynamic buffer (DynamicBuffer_v1) that refers to a basic_streambuf: what the composed
// operations copy, so the streambuf itself is neither copied nor moved.
template <class Allocator = std::allocator<char>>
class basic_streambuf_ref
{
public:
  using const_buffers_type = typename basic_streambuf<Allocator>::const_buffers_type;
  using mutable_buffers_type = typename basic_streambuf<Allocator>::mutable_buffers_type;

  explicit basic_streambuf_ref(basic_streambuf<Allocator>& sb) noexcept : sb_(&sb) {}

  std::size_t size() const noexcept { return sb_->size(); }
  std::size_t max_size() const noexcept { return sb_->max_size(); }
  std::size_t capacity() const noexcept { return sb_->capacity(); }
  const_buffers_type data() const noexcept { return sb_->data(); }
  mutable_buffers_type prepare(std::size_t n) { return sb_->prepare(n); }
  void commit(std::size_t n) { sb_->commit(n); }
  void consume(std::size_t n) { sb_->consume(n); }

private:
  basic_streambuf<Allocator>* sb_;
};

namespace detail {

template <class T>
struct is_basic_streambuf : std::false_type
{
};
template <class Allocator>
struct is_basic_streambuf<basic_streambuf<Allocator>> : std::true_type
{
};

} // namespace detail

} // namespace blitz

#endif
