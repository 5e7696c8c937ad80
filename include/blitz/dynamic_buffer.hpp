// dynamic_buffer(): a std::string or std::vector seen as a DynamicBuffer_v1 (Asio 1.81's
// first dynamic-buffer interface: size/max_size/capacity/data/prepare/commit/consume), which
// read, read_until and write fill or drain.
//
// The adapter refers to the container and remembers how much of it is committed data
// (committed_). prepare(n) grows the container by n bytes of scratch space; commit keeps
// the part actually written and shrinks the container back, so after a composed operation
// the container holds exactly the data, with no scratch tail. Until the first prepare, the
// whole container counts as data: a string that already holds bytes is searched as is.
//
// Sizes count bytes, so only byte-sized elements are accepted (char, unsigned char,
// std::uint8_t, ...).
#ifndef BLITZ_DYNAMIC_BUFFER_HPP
#define BLITZ_DYNAMIC_BUFFER_HPP

#include <blitz/basic_streambuf.hpp>
#include <blitz/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace blitz {
namespace detail {

// Shared by the string and vector adapters: both containers offer resize, erase, data and
// capacity with the same meaning.
template <class Container>
class dynamic_container_buffer
{
  static_assert(sizeof(typename Container::value_type) == 1,
                "dynamic_buffer sizes count bytes: use a container of a byte-sized type");

public:
  using const_buffers_type = const_buffers_1;
  using mutable_buffers_type = mutable_buffers_1;

  explicit dynamic_container_buffer(Container& c, std::size_t maximum_size) noexcept
    : c_(&c), committed_(unknown), max_size_(maximum_size)
  {
  }

  std::size_t size() const noexcept
  {
    return committed_ != unknown ? committed_ : (std::min)(c_->size(), max_size_);
  }
  std::size_t max_size() const noexcept { return max_size_; }
  std::size_t capacity() const noexcept { return (std::min)(c_->capacity(), max_size_); }

  const_buffers_type data() const noexcept
  {
    return const_buffers_type(c_->empty() ? nullptr : &(*c_)[0], size());
  }

  mutable_buffers_type prepare(std::size_t n)
  {
    const std::size_t used = size();
    if (used > max_size_ || n > max_size_ - used)
      throw std::length_error("blitz::dynamic_buffer too long");
    // From the first prepare on, the committed size is tracked here. A container that
    // started out longer than max_size() keeps all its bytes (it is never truncated).
    if (committed_ == unknown)
      committed_ = c_->size();
    c_->resize(committed_ + n);
    return mutable_buffers_type(n == 0 ? nullptr : &(*c_)[0] + committed_, n);
  }

  void commit(std::size_t n)
  {
    // Clamped to what the container holds, in case it was shrunk behind our back.
    committed_ = (std::min)(committed_ == unknown ? c_->size() : committed_, c_->size());
    committed_ += (std::min)(n, c_->size() - committed_);
    c_->resize(committed_);
  }

  void consume(std::size_t n)
  {
    const std::size_t used = size();
    n = (std::min)(n, used);
    if (committed_ != unknown)
      committed_ = used - n;
    c_->erase(c_->begin(), c_->begin() + static_cast<std::ptrdiff_t>((std::min)(n, c_->size())));
  }

private:
  static constexpr std::size_t unknown = (std::numeric_limits<std::size_t>::max)();

  Container* c_;
  std::size_t committed_;
  std::size_t max_size_;
};

template <class Container>
constexpr std::size_t dynamic_container_buffer<Container>::unknown;

} // namespace detail

template <class Elem, class Traits, class Allocator>
class dynamic_string_buffer
  : public detail::dynamic_container_buffer<std::basic_string<Elem, Traits, Allocator>>
{
  using base = detail::dynamic_container_buffer<std::basic_string<Elem, Traits, Allocator>>;

public:
  explicit dynamic_string_buffer(std::basic_string<Elem, Traits, Allocator>& s,
                                 std::size_t maximum_size =
                                     (std::numeric_limits<std::size_t>::max)()) noexcept
    : base(s, maximum_size)
  {
  }
};

template <class Elem, class Allocator>
class dynamic_vector_buffer : public detail::dynamic_container_buffer<std::vector<Elem, Allocator>>
{
  using base = detail::dynamic_container_buffer<std::vector<Elem, Allocator>>;

public:
  explicit dynamic_vector_buffer(std::vector<Elem, Allocator>& v,
                                 std::size_t maximum_size =
                                     (std::numeric_limits<std::size_t>::max)()) noexcept
    : base(v, maximum_size)
  {
  }
};

template <class Elem, class Traits, class Allocator>
inline dynamic_string_buffer<Elem, Traits, Allocator> dynamic_buffer(
    std::basic_string<Elem, Traits, Allocator>& data) noexcept
{
  return dynamic_string_buffer<Elem, Traits, Allocator>(data);
}

template <class Elem, class Traits, class Allocator>
inline dynamic_string_buffer<Elem, Traits, Allocator> dynamic_buffer(
    std::basic_string<Elem, Traits, Allocator>& data, std::size_t max_size) noexcept
{
  return dynamic_string_buffer<Elem, Traits, Allocator>(data, max_size);
}

template <class Elem, class Allocator>
inline dynamic_vector_buffer<Elem, Allocator> dynamic_buffer(
    std::vector<Elem, Allocator>& data) noexcept
{
  return dynamic_vector_buffer<Elem, Allocator>(data);
}

template <class Elem, class Allocator>
inline dynamic_vector_buffer<Elem, Allocator> dynamic_buffer(std::vector<Elem, Allocator>& data,
                                                             std::size_t max_size) noexcept
{
  return dynamic_vector_buffer<Elem, Allocator>(data, max_size);
}

namespace detail {

template <class T, class = void>
struct is_dynamic_buffer_v1_impl : std::false_type
{
};

template <class T>
struct is_dynamic_buffer_v1_impl<
    T, typename make_void<typename T::const_buffers_type, typename T::mutable_buffers_type,
                          decltype(std::declval<const T&>().size()),
                          decltype(std::declval<const T&>().max_size()),
                          decltype(std::declval<const T&>().capacity()),
                          decltype(std::declval<const T&>().data()),
                          decltype(std::declval<T&>().prepare(std::size_t())),
                          decltype(std::declval<T&>().commit(std::size_t())),
                          decltype(std::declval<T&>().consume(std::size_t()))>::type>
  : std::true_type
{
};

} // namespace detail

// Whether T offers the DynamicBuffer_v1 members. basic_streambuf does too, but the
// operations take a streambuf by reference through overloads of their own.
template <class T>
struct is_dynamic_buffer_v1 : detail::is_dynamic_buffer_v1_impl<T>
{
};

template <class T>
struct is_dynamic_buffer : is_dynamic_buffer_v1<T>
{
};

namespace detail {

// What the DynamicBuffer&& overloads of read, read_until and write accept: a v1 dynamic
// buffer passed by value (a streambuf goes through its own overloads and is never copied).
template <class T>
struct accepts_dynamic_buffer
  : std::integral_constant<bool,
        is_dynamic_buffer_v1<typename std::decay<T>::type>::value &&
            !is_basic_streambuf<typename std::decay<T>::type>::value>
{
};

template <class B>
using if_dynamic_buffer = typename std::enable_if<accepts_dynamic_buffer<B>::value, int>::type;

// How much the next read_some into b may bring: at least a useful chunk (512 bytes, or all
// the capacity already allocated), never beyond max_size() or the caller's limit, and at
// most 64 KiB so one read does not make the buffer balloon.
template <class DynamicBuffer>
std::size_t dynamic_read_size(const DynamicBuffer& b, std::size_t limit = 65536) noexcept
{
  const std::size_t size = b.size();
  const std::size_t cap = b.capacity();
  const std::size_t room = b.max_size() > size ? b.max_size() - size : 0;
  std::size_t want = cap > size ? cap - size : 0;
  want = (std::max)(want, static_cast<std::size_t>(512));
  return (std::min)(want, (std::min)(limit, room));
}

} // namespace detail

} // namespace blitz

#endif
