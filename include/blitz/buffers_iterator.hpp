// buffers_iterator: a random-access iterator over the bytes of a buffer sequence, as if the
// buffers were one array (Asio's buffers_iterator, buffers_begin, buffers_end). read_until
// searches through it, and match conditions receive it.
//
// Two representations behind one interface:
//  - a single buffer (mutable_buffer, const_buffers_1, what streambuf::data() returns) is
//    copied into the iterator, so `auto it = buffers_begin(sb.data());` stays valid after
//    the temporary returned by data() is gone;
//  - a multi-buffer sequence is walked through its own iterators, so (as in Asio) the
//    sequence object must outlive the iterators made from it.
// Iterators of one sequence compare by their byte position only.
#ifndef BLITZ_BUFFERS_ITERATOR_HPP
#define BLITZ_BUFFERS_ITERATOR_HPP

#include <blitz/buffer.hpp>

#include <cstddef>
#include <iterator>
#include <type_traits>

namespace blitz {
namespace detail {

template <class BufferSequence, class ByteType>
struct buffers_iterator_types
{
  static constexpr bool is_mutable =
      std::is_convertible<decltype(*blitz::buffer_sequence_begin(
                              std::declval<const BufferSequence&>())),
                          mutable_buffer>::value;
  using buffer_type = typename std::conditional<is_mutable, mutable_buffer, const_buffer>::type;
  using byte_type = typename std::conditional<is_mutable, ByteType, const ByteType>::type;
  using seq_iterator =
      decltype(blitz::buffer_sequence_begin(std::declval<const BufferSequence&>()));
};

// Position state for one buffer: base pointer, length, offset.
template <class Byte>
class single_buffer_cursor
{
public:
  single_buffer_cursor() noexcept = default;
  template <class Seq>
  single_buffer_cursor(const Seq& s, bool at_end) noexcept
  {
    const_buffer b(*blitz::buffer_sequence_begin(s));
    base_ = static_cast<Byte*>(const_cast<void*>(b.data()));
    size_ = b.size();
    pos_ = at_end ? size_ : 0;
  }
  Byte& deref() const noexcept { return base_[pos_]; }
  void advance(std::ptrdiff_t n) noexcept { pos_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(pos_) + n); }
  std::size_t position() const noexcept { return pos_; }

private:
  Byte* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
};

// Position state for a sequence: the element holding the current byte (or end), the
// offset inside it, and the absolute position. Empty elements are skipped, so whenever
// cur_ != end_ the offset is inside a non-empty buffer.
template <class SeqIterator, class Buffer, class Byte>
class multi_buffer_cursor
{
public:
  multi_buffer_cursor() = default;
  template <class Seq>
  multi_buffer_cursor(const Seq& s, bool at_end)
    : begin_(blitz::buffer_sequence_begin(s)), cur_(begin_), end_(blitz::buffer_sequence_end(s))
  {
    if (at_end)
    {
      for (SeqIterator it = begin_; it != end_; ++it)
        pos_ += Buffer(*it).size();
      cur_ = end_;
      return;
    }
    skip_empty();
  }

  Byte& deref() const noexcept
  {
    return static_cast<Byte*>(const_cast<void*>(const_buffer(buf_).data()))[off_];
  }

  void advance(std::ptrdiff_t n)
  {
    while (n > 0)
    {
      const std::size_t left = buf_.size() - off_;
      if (static_cast<std::size_t>(n) < left)
      {
        off_ += static_cast<std::size_t>(n);
        pos_ += static_cast<std::size_t>(n);
        return;
      }
      n -= static_cast<std::ptrdiff_t>(left);
      pos_ += left;
      off_ = 0;
      ++cur_;
      skip_empty();
    }
    while (n < 0)
    {
      if (off_ >= static_cast<std::size_t>(-n))
      {
        off_ -= static_cast<std::size_t>(-n);
        pos_ -= static_cast<std::size_t>(-n);
        return;
      }
      // Step to the last byte of the previous non-empty buffer.
      n += static_cast<std::ptrdiff_t>(off_) + 1;
      pos_ -= off_ + 1;
      do
      {
        --cur_;
        buf_ = Buffer(*cur_);
      } while (buf_.size() == 0);
      off_ = buf_.size() - 1;
    }
  }

  std::size_t position() const noexcept { return pos_; }

private:
  void skip_empty()
  {
    for (; cur_ != end_; ++cur_)
    {
      buf_ = Buffer(*cur_);
      if (buf_.size() > 0)
        return;
    }
    buf_ = Buffer();
  }

  SeqIterator begin_{};
  SeqIterator cur_{};
  SeqIterator end_{};
  Buffer buf_;
  std::size_t off_ = 0;
  std::size_t pos_ = 0;
};

} // namespace detail

template <class BufferSequence, class ByteType = char>
class buffers_iterator
{
  using types = detail::buffers_iterator_types<BufferSequence, ByteType>;
  using byte = typename types::byte_type;
  using cursor = typename std::conditional<
      detail::is_single_buffer<BufferSequence>::value, detail::single_buffer_cursor<byte>,
      detail::multi_buffer_cursor<typename types::seq_iterator, typename types::buffer_type,
                                  byte>>::type;

public:
  using difference_type = std::ptrdiff_t;
  using value_type = ByteType;
  using pointer = byte*;
  using reference = byte&;
  using iterator_category = std::random_access_iterator_tag;

  buffers_iterator() = default;

  static buffers_iterator begin(const BufferSequence& buffers)
  {
    return buffers_iterator(cursor(buffers, false));
  }
  static buffers_iterator end(const BufferSequence& buffers)
  {
    return buffers_iterator(cursor(buffers, true));
  }

  reference operator*() const { return cur_.deref(); }
  pointer operator->() const { return &cur_.deref(); }
  reference operator[](difference_type n) const { return *(*this + n); }

  buffers_iterator& operator++()
  {
    cur_.advance(1);
    return *this;
  }
  buffers_iterator operator++(int)
  {
    buffers_iterator tmp(*this);
    ++*this;
    return tmp;
  }
  buffers_iterator& operator--()
  {
    cur_.advance(-1);
    return *this;
  }
  buffers_iterator operator--(int)
  {
    buffers_iterator tmp(*this);
    --*this;
    return tmp;
  }
  buffers_iterator& operator+=(difference_type n)
  {
    cur_.advance(n);
    return *this;
  }
  buffers_iterator& operator-=(difference_type n)
  {
    cur_.advance(-n);
    return *this;
  }
  friend buffers_iterator operator+(buffers_iterator it, difference_type n)
  {
    return it += n;
  }
  friend buffers_iterator operator+(difference_type n, buffers_iterator it)
  {
    return it += n;
  }
  friend buffers_iterator operator-(buffers_iterator it, difference_type n)
  {
    return it -= n;
  }
  friend difference_type operator-(const buffers_iterator& a, const buffers_iterator& b)
  {
    return static_cast<difference_type>(a.cur_.position()) -
           static_cast<difference_type>(b.cur_.position());
  }

  friend bool operator==(const buffers_iterator& a, const buffers_iterator& b)
  {
    return a.cur_.position() == b.cur_.position();
  }
  friend bool operator!=(const buffers_iterator& a, const buffers_iterator& b)
  {
    return !(a == b);
  }
  friend bool operator<(const buffers_iterator& a, const buffers_iterator& b)
  {
    return a.cur_.position() < b.cur_.position();
  }
  friend bool operator>(const buffers_iterator& a, const buffers_iterator& b) { return b < a; }
  friend bool operator<=(const buffers_iterator& a, const buffers_iterator& b)
  {
    return !(b < a);
  }
  friend bool operator>=(const buffers_iterator& a, const buffers_iterator& b)
  {
    return !(a < b);
  }

private:
  explicit buffers_iterator(const cursor& c) : cur_(c) {}
  cursor cur_;
};

template <class BufferSequence>
inline buffers_iterator<BufferSequence> buffers_begin(const BufferSequence& buffers)
{
  return buffers_iterator<BufferSequence>::begin(buffers);
}

template <class BufferSequence>
inline buffers_iterator<BufferSequence> buffers_end(const BufferSequence& buffers)
{
  return buffers_iterator<BufferSequence>::end(buffers);
}

} // namespace blitz

#endif
