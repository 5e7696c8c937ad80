// Non-owning views of memory (mutable_buffer, const_buffer), the buffer() factories that
// make them from arrays, vectors and strings, and the buffer-sequence algorithms
// (buffer_size, buffer_copy) with the traits that recognise a sequence.
//
// A buffer sequence is either a single buffer or any type whose begin()/end() iterate over
// values convertible to a buffer; buffer_sequence_begin/end hide the difference so the
// algorithms are written once.
//
// buffer() returns mutable_buffers_1 / const_buffers_1, as Asio 1.81 does unless
// BOOST_ASIO_NO_DEPRECATED is defined. Both derive from the plain buffer type, so code written
// for either Asio configuration (`mutable_buffer b = buffer(v);` or
// `const_buffers_1 b = buffer(s);`) compiles unchanged.
#ifndef BLITZ_BUFFER_HPP
#define BLITZ_BUFFER_HPP

#include <boost/array.hpp>
#include <boost/config.hpp>

#include <array>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace blitz {

class mutable_buffer
{
public:
  mutable_buffer() noexcept : data_(nullptr), size_(0) {}
  mutable_buffer(void* data, std::size_t size) noexcept : data_(data), size_(size) {}

  void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

  // Advancing past the end leaves an empty buffer rather than a dangling one, so consumers
  // can subtract "bytes transferred" without checking first.
  mutable_buffer& operator+=(std::size_t n) noexcept
  {
    const std::size_t skip = n < size_ ? n : size_;
    data_ = static_cast<char*>(data_) + skip;
    size_ -= skip;
    return *this;
  }

private:
  void* data_;
  std::size_t size_;
};

class const_buffer
{
public:
  const_buffer() noexcept : data_(nullptr), size_(0) {}
  const_buffer(const void* data, std::size_t size) noexcept : data_(data), size_(size) {}
  // Implicit, because anything that may be written may also be read.
  const_buffer(const mutable_buffer& b) noexcept : data_(b.data()), size_(b.size()) {}

  const void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

  const_buffer& operator+=(std::size_t n) noexcept
  {
    const std::size_t skip = n < size_ ? n : size_;
    data_ = static_cast<const char*>(data_) + skip;
    size_ -= skip;
    return *this;
  }

private:
  const void* data_;
  std::size_t size_;
};

// Legacy one-element sequences (Asio's deprecated but default return type of buffer()).
class mutable_buffers_1 : public mutable_buffer
{
public:
  using value_type = mutable_buffer;
  using const_iterator = const mutable_buffer*;

  mutable_buffers_1(void* data, std::size_t size) noexcept : mutable_buffer(data, size) {}
  explicit mutable_buffers_1(const mutable_buffer& b) noexcept : mutable_buffer(b) {}

  const_iterator begin() const noexcept { return this; }
  const_iterator end() const noexcept { return begin() + 1; }
};

class const_buffers_1 : public const_buffer
{
public:
  using value_type = const_buffer;
  using const_iterator = const const_buffer*;

  const_buffers_1(const void* data, std::size_t size) noexcept : const_buffer(data, size) {}
  explicit const_buffers_1(const const_buffer& b) noexcept : const_buffer(b) {}

  const_iterator begin() const noexcept { return this; }
  const_iterator end() const noexcept { return begin() + 1; }
};

// An empty sequence that asks a reactor-style operation to wait for readiness only
// (legacy Asio; socket::wait() is the modern spelling).
class null_buffers
{
public:
  using value_type = mutable_buffer;
  using const_iterator = const mutable_buffer*;

  const_iterator begin() const noexcept { return &buf_; }
  const_iterator end() const noexcept { return &buf_; }

private:
  mutable_buffer buf_;
};

namespace detail {

template <typename T>
struct is_single_mutable_buffer
  : std::integral_constant<bool, std::is_convertible<const T*, const mutable_buffer*>::value>
{
};

template <typename T>
struct is_single_const_buffer
  : std::integral_constant<bool, std::is_convertible<const T*, const const_buffer*>::value>
{
};

template <typename T>
struct is_single_buffer
  : std::integral_constant<bool,
        is_single_mutable_buffer<T>::value || is_single_const_buffer<T>::value>
{
};

inline std::size_t clamp_size(std::size_t size, std::size_t max_size) noexcept
{
  return size < max_size ? size : max_size;
}

} // namespace detail

// A single buffer is a sequence of one: its address is the begin iterator. The test is on
// pointer convertibility so that types derived from a buffer (mutable_buffers_1) count too.
template <typename MutableBuffer,
    typename std::enable_if<detail::is_single_mutable_buffer<MutableBuffer>::value,
        int>::type = 0>
inline const mutable_buffer* buffer_sequence_begin(const MutableBuffer& b) noexcept
{
  return static_cast<const mutable_buffer*>(std::addressof(b));
}

template <typename ConstBuffer,
    typename std::enable_if<detail::is_single_const_buffer<ConstBuffer>::value, int>::type = 0>
inline const const_buffer* buffer_sequence_begin(const ConstBuffer& b) noexcept
{
  return static_cast<const const_buffer*>(std::addressof(b));
}

template <typename C,
    typename std::enable_if<!detail::is_single_buffer<C>::value, int>::type = 0>
inline auto buffer_sequence_begin(C& c) noexcept -> decltype(c.begin())
{
  return c.begin();
}

template <typename C,
    typename std::enable_if<!detail::is_single_buffer<C>::value, int>::type = 0>
inline auto buffer_sequence_begin(const C& c) noexcept -> decltype(c.begin())
{
  return c.begin();
}

template <typename MutableBuffer,
    typename std::enable_if<detail::is_single_mutable_buffer<MutableBuffer>::value,
        int>::type = 0>
inline const mutable_buffer* buffer_sequence_end(const MutableBuffer& b) noexcept
{
  return static_cast<const mutable_buffer*>(std::addressof(b)) + 1;
}

template <typename ConstBuffer,
    typename std::enable_if<detail::is_single_const_buffer<ConstBuffer>::value, int>::type = 0>
inline const const_buffer* buffer_sequence_end(const ConstBuffer& b) noexcept
{
  return static_cast<const const_buffer*>(std::addressof(b)) + 1;
}

template <typename C,
    typename std::enable_if<!detail::is_single_buffer<C>::value, int>::type = 0>
inline auto buffer_sequence_end(C& c) noexcept -> decltype(c.end())
{
  return c.end();
}

template <typename C,
    typename std::enable_if<!detail::is_single_buffer<C>::value, int>::type = 0>
inline auto buffer_sequence_end(const C& c) noexcept -> decltype(c.end())
{
  return c.end();
}

namespace detail {

template <typename...>
struct make_void
{
  using type = void;
};

// A struct rather than an alias template: C++14 compilers disagree on whether unused
// alias-template arguments take part in SFINAE (CWG 1558).
template <typename T, typename Buffer, typename = void>
struct is_buffer_sequence : std::false_type
{
};

template <typename T, typename Buffer>
struct is_buffer_sequence<T, Buffer,
    typename make_void<decltype(blitz::buffer_sequence_begin(std::declval<const T&>())),
        decltype(blitz::buffer_sequence_end(std::declval<const T&>()))>::type>
  : std::integral_constant<bool,
        std::is_convertible<decltype(*blitz::buffer_sequence_begin(std::declval<const T&>())),
            Buffer>::value>
{
};

} // namespace detail

template <typename T>
struct is_mutable_buffer_sequence : detail::is_buffer_sequence<T, mutable_buffer>
{
};

template <typename T>
struct is_const_buffer_sequence : detail::is_buffer_sequence<T, const_buffer>
{
};

template <typename BufferSequence>
inline std::size_t buffer_size(const BufferSequence& buffers) noexcept
{
  std::size_t total = 0;
  auto end = blitz::buffer_sequence_end(buffers);
  for (auto it = blitz::buffer_sequence_begin(buffers); it != end; ++it)
    total += const_buffer(*it).size();
  return total;
}

// Deprecated in Asio in favour of data(); kept so ported code compiles.
template <typename PointerToPodType>
inline PointerToPodType buffer_cast(const mutable_buffer& b) noexcept
{
  return static_cast<PointerToPodType>(b.data());
}

template <typename PointerToPodType>
inline PointerToPodType buffer_cast(const const_buffer& b) noexcept
{
  return static_cast<PointerToPodType>(b.data());
}

inline mutable_buffer operator+(const mutable_buffer& b, std::size_t n) noexcept
{
  mutable_buffer result(b);
  result += n;
  return result;
}

inline mutable_buffer operator+(std::size_t n, const mutable_buffer& b) noexcept
{
  return b + n;
}

inline const_buffer operator+(const const_buffer& b, std::size_t n) noexcept
{
  const_buffer result(b);
  result += n;
  return result;
}

inline const_buffer operator+(std::size_t n, const const_buffer& b) noexcept
{
  return b + n;
}

// buffer(): every overload has a twin taking max_size_in_bytes, which caps the size.

BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(const mutable_buffer& b) noexcept
{
  return mutable_buffers_1(b);
}

BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    const mutable_buffer& b, std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(b.data(), detail::clamp_size(b.size(), max_size_in_bytes));
}

BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(const const_buffer& b) noexcept
{
  return const_buffers_1(b);
}

BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const const_buffer& b, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(b.data(), detail::clamp_size(b.size(), max_size_in_bytes));
}

BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    void* data, std::size_t size_in_bytes) noexcept
{
  return mutable_buffers_1(data, size_in_bytes);
}

BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const void* data, std::size_t size_in_bytes) noexcept
{
  return const_buffers_1(data, size_in_bytes);
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(PodType (&data)[N]) noexcept
{
  return mutable_buffers_1(data, N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    PodType (&data)[N], std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(data, detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(const PodType (&data)[N]) noexcept
{
  return const_buffers_1(data, N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const PodType (&data)[N], std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(data, detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(std::array<PodType, N>& data) noexcept
{
  return mutable_buffers_1(data.data(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    std::array<PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(
      data.data(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    std::array<const PodType, N>& data) noexcept
{
  return const_buffers_1(data.data(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    std::array<const PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(
      data.data(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::array<PodType, N>& data) noexcept
{
  return const_buffers_1(data.data(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::array<PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(
      data.data(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

// boost::array: Asio accepts it, and Asio-era code bases use it for fixed read buffers.
template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    boost::array<PodType, N>& data) noexcept
{
  return mutable_buffers_1(data.c_array(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    boost::array<PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(
      data.c_array(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    boost::array<const PodType, N>& data) noexcept
{
  return const_buffers_1(data.data(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    boost::array<const PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(
      data.data(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const boost::array<PodType, N>& data) noexcept
{
  return const_buffers_1(data.data(), N * sizeof(PodType));
}

template <typename PodType, std::size_t N>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const boost::array<PodType, N>& data, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(
      data.data(), detail::clamp_size(N * sizeof(PodType), max_size_in_bytes));
}

// Empty containers yield a null data pointer, as in Asio: operator[] on an empty
// vector or string would be undefined behaviour.
template <typename PodType, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    std::vector<PodType, Allocator>& data) noexcept
{
  return mutable_buffers_1(
      data.empty() ? nullptr : &data[0], data.size() * sizeof(PodType));
}

template <typename PodType, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    std::vector<PodType, Allocator>& data, std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(data.empty() ? nullptr : &data[0],
      detail::clamp_size(data.size() * sizeof(PodType), max_size_in_bytes));
}

template <typename PodType, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::vector<PodType, Allocator>& data) noexcept
{
  return const_buffers_1(data.empty() ? nullptr : &data[0], data.size() * sizeof(PodType));
}

template <typename PodType, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::vector<PodType, Allocator>& data, std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(data.empty() ? nullptr : &data[0],
      detail::clamp_size(data.size() * sizeof(PodType), max_size_in_bytes));
}

template <typename Elem, typename Traits, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    std::basic_string<Elem, Traits, Allocator>& data) noexcept
{
  return mutable_buffers_1(data.empty() ? nullptr : &data[0], data.size() * sizeof(Elem));
}

template <typename Elem, typename Traits, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline mutable_buffers_1 buffer(
    std::basic_string<Elem, Traits, Allocator>& data, std::size_t max_size_in_bytes) noexcept
{
  return mutable_buffers_1(data.empty() ? nullptr : &data[0],
      detail::clamp_size(data.size() * sizeof(Elem), max_size_in_bytes));
}

// data() of a const string is always valid (it points at the terminator when empty), so
// no special case is needed here; Asio does the same.
template <typename Elem, typename Traits, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::basic_string<Elem, Traits, Allocator>& data) noexcept
{
  return const_buffers_1(data.data(), data.size() * sizeof(Elem));
}

template <typename Elem, typename Traits, typename Allocator>
BOOST_ATTRIBUTE_NODISCARD inline const_buffers_1 buffer(
    const std::basic_string<Elem, Traits, Allocator>& data,
    std::size_t max_size_in_bytes) noexcept
{
  return const_buffers_1(
      data.data(), detail::clamp_size(data.size() * sizeof(Elem), max_size_in_bytes));
}

namespace detail {

// One loop serves every combination of single buffers and multi-buffer sequences: the
// current target and source pieces are refilled from their iterators whenever they run
// dry, which also steps over zero-length buffers wherever they appear.
template <typename TargetIterator, typename SourceIterator>
inline std::size_t buffer_copy(TargetIterator target_it, TargetIterator target_end,
    SourceIterator source_it, SourceIterator source_end, std::size_t max_bytes) noexcept
{
  std::size_t total = 0;
  mutable_buffer target;
  const_buffer source;
  while (total < max_bytes)
  {
    if (target.size() == 0)
    {
      if (target_it == target_end)
        break;
      target = mutable_buffer(*target_it);
      ++target_it;
      continue;
    }
    if (source.size() == 0)
    {
      if (source_it == source_end)
        break;
      source = const_buffer(*source_it);
      ++source_it;
      continue;
    }
    std::size_t n = target.size() < source.size() ? target.size() : source.size();
    n = clamp_size(n, max_bytes - total);
    std::memcpy(target.data(), source.data(), n);
    target += n;
    source += n;
    total += n;
  }
  return total;
}

} // namespace detail

// Copies as many bytes as fit, stopping at the end of either sequence; the sequences must
// not overlap. Returns the number of bytes copied.
template <typename MutableBufferSequence, typename ConstBufferSequence>
inline std::size_t buffer_copy(
    const MutableBufferSequence& target, const ConstBufferSequence& source) noexcept
{
  return detail::buffer_copy(blitz::buffer_sequence_begin(target),
      blitz::buffer_sequence_end(target), blitz::buffer_sequence_begin(source),
      blitz::buffer_sequence_end(source), (std::numeric_limits<std::size_t>::max)());
}

template <typename MutableBufferSequence, typename ConstBufferSequence>
inline std::size_t buffer_copy(const MutableBufferSequence& target,
    const ConstBufferSequence& source, std::size_t max_bytes_to_copy) noexcept
{
  return detail::buffer_copy(blitz::buffer_sequence_begin(target),
      blitz::buffer_sequence_end(target), blitz::buffer_sequence_begin(source),
      blitz::buffer_sequence_end(source), max_bytes_to_copy);
}

} // namespace blitz

// Asio declares dynamic_buffer in buffer.hpp; code that includes only this header expects it.
#include <blitz/dynamic_buffer.hpp>

#endif
