// read_until / async_read_until: read into a dynamic buffer or streambuf until its data
// contains a delimiter (a char or a string), a match of a boost::regex (read_until_regex.hpp,
// which blitz.hpp includes), or a point a match condition accepts.
//
// Returns (or passes to handler(error_code, std::size_t)) the number of bytes of the data up
// to and including the delimiter; bytes read past it stay in the buffer for the next call.
// The buffer reaching max_size() without a match gives error::not_found; an error (eof
// included) gives that error and 0, with whatever was read left in the buffer.
#ifndef BLITZ_READ_UNTIL_HPP
#define BLITZ_READ_UNTIL_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_streambuf.hpp>
#include <blitz/buffers_iterator.hpp>
#include <blitz/detail/read_until_op.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/dynamic_buffer.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class T, class = void>
struct has_result_type : std::false_type
{
};
template <class T>
struct has_result_type<T, typename make_void<typename T::result_type>::type> : std::true_type
{
};

} // namespace detail

// A match condition is a function (or pointer to one) or a function object declaring
// result_type, called as `std::pair<iterator, bool> cond(iterator begin, iterator end)`
// with iterator = buffers_iterator<const_buffers_type>. Specialise this trait to true for
// a lambda, which has no result_type (Asio's rule).
template <class T>
struct is_match_condition
  : std::integral_constant<bool,
        std::is_function<typename std::remove_pointer<T>::type>::value ||
            detail::has_result_type<T>::value>
{
};

namespace detail {

// Finds [d_first, d_last) in [first, last), or else the start of the longest tail of
// [first, last) that is a prefix of it. Returns (position, full match?); (last, false)
// when not even a prefix fits.
template <class Iterator, class DelimIterator>
std::pair<Iterator, bool> search_with_partial(Iterator first, Iterator last, DelimIterator d_first,
                                              DelimIterator d_last)
{
  if (d_first == d_last)
    return std::make_pair(first, true);
  for (; first != last; ++first)
  {
    Iterator it = first;
    DelimIterator d = d_first;
    while (it != last && d != d_last && *it == *d)
    {
      ++it;
      ++d;
    }
    if (d == d_last)
      return std::make_pair(first, true);
    if (it == last)
      return std::make_pair(first, false);
  }
  return std::make_pair(last, false);
}

class char_searcher
{
public:
  explicit char_searcher(char delim) noexcept : delim_(delim) {}

  template <class ConstBuffers>
  std::size_t operator()(const ConstBuffers& data, std::size_t& from) const
  {
    auto begin = buffers_begin(data);
    auto end = buffers_end(data);
    auto it = std::find(begin + static_cast<std::ptrdiff_t>(from), end, delim_);
    if (it != end)
      return static_cast<std::size_t>(it - begin) + 1;
    from = static_cast<std::size_t>(end - begin);
    return no_match;
  }

private:
  char delim_;
};

class string_searcher
{
public:
  explicit string_searcher(std::string delim) : delim_(std::move(delim)) {}

  template <class ConstBuffers>
  std::size_t operator()(const ConstBuffers& data, std::size_t& from) const
  {
    auto begin = buffers_begin(data);
    auto end = buffers_end(data);
    auto r = search_with_partial(begin + static_cast<std::ptrdiff_t>(from), end, delim_.begin(),
                                 delim_.end());
    if (r.second)
      return static_cast<std::size_t>(r.first - begin) + delim_.size();
    from = static_cast<std::size_t>(r.first - begin);
    return no_match;
  }

private:
  std::string delim_;
};

template <class MatchCondition>
class condition_searcher
{
public:
  explicit condition_searcher(MatchCondition cond) : cond_(std::move(cond)) {}

  // (it, true): the data up to `it` is the match; (it, false) with it != end: a match may
  // begin at `it` once more data arrives; (end, false): nothing so far can start one.
  template <class ConstBuffers>
  std::size_t operator()(const ConstBuffers& data, std::size_t& from)
  {
    auto begin = buffers_begin(data);
    auto end = buffers_end(data);
    auto r = cond_(begin + static_cast<std::ptrdiff_t>(from), end);
    if (r.second)
      return static_cast<std::size_t>(r.first - begin);
    from = static_cast<std::size_t>(r.first - begin);
    return no_match;
  }

private:
  MatchCondition cond_;
};

template <class SyncReadStream, class DynamicBuffer, class Searcher>
std::size_t read_until_with(SyncReadStream& s, DynamicBuffer&& buffers, Searcher search,
                            boost::system::error_code& ec)
{
  typename std::decay<DynamicBuffer>::type b(std::forward<DynamicBuffer>(buffers));
  return read_until_loop(s, b, search, ec);
}

template <class SyncReadStream, class DynamicBuffer, class Searcher>
std::size_t read_until_with(SyncReadStream& s, DynamicBuffer&& buffers, Searcher search)
{
  boost::system::error_code ec;
  std::size_t n = read_until_with(s, std::forward<DynamicBuffer>(buffers), std::move(search), ec);
  throw_error(ec, "read_until");
  return n;
}

template <class M>
using if_match_condition = typename std::enable_if<is_match_condition<M>::value, int>::type;

} // namespace detail

// Dynamic buffers (dynamic_buffer(str), or any DynamicBuffer_v1), by delimiter char.
template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, char delim,
                       boost::system::error_code& ec)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::char_searcher(delim), ec);
}
template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, char delim)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::char_searcher(delim));
}

// By delimiter string.
template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, const std::string& delim,
                       boost::system::error_code& ec)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::string_searcher(delim), ec);
}
template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, const std::string& delim)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::string_searcher(delim));
}

// By match condition.
template <class SyncReadStream, class DynamicBuffer, class MatchCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0,
          detail::if_match_condition<MatchCondition> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, MatchCondition cond,
                       boost::system::error_code& ec)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::condition_searcher<MatchCondition>(std::move(cond)), ec);
}
template <class SyncReadStream, class DynamicBuffer, class MatchCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0,
          detail::if_match_condition<MatchCondition> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers, MatchCondition cond)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::condition_searcher<MatchCondition>(std::move(cond)));
}

// Streambufs: the same, through a reference so the streambuf itself is never copied.
template <class SyncReadStream, class Allocator>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, char delim,
                       boost::system::error_code& ec)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), delim, ec);
}
template <class SyncReadStream, class Allocator>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, char delim)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), delim);
}
template <class SyncReadStream, class Allocator>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, const std::string& delim,
                       boost::system::error_code& ec)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), delim, ec);
}
template <class SyncReadStream, class Allocator>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, const std::string& delim)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), delim);
}
template <class SyncReadStream, class Allocator, class MatchCondition,
          detail::if_match_condition<MatchCondition> = 0>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, MatchCondition cond,
                       boost::system::error_code& ec)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), std::move(cond), ec);
}
template <class SyncReadStream, class Allocator, class MatchCondition,
          detail::if_match_condition<MatchCondition> = 0>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b, MatchCondition cond)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), std::move(cond));
}

// Asynchronous forms: handler(error_code, std::size_t). The dynamic buffer is copied into
// the operation; the container (or streambuf) it refers to must outlive the operation.
template <class AsyncReadStream, class DynamicBuffer, class ReadHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_read_until(AsyncReadStream& s, DynamicBuffer&& buffers, char delim,
                      ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, const auto& delim) {
        using H = decltype(h);
        detail::start_read_until(s, std::forward<decltype(buffers)>(buffers), detail::char_searcher(delim),
                                 std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), delim);
}
template <class AsyncReadStream, class DynamicBuffer, class ReadHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_read_until(AsyncReadStream& s, DynamicBuffer&& buffers, const std::string& delim,
                      ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, const auto& delim) {
        using H = decltype(h);
        detail::start_read_until(s, std::forward<decltype(buffers)>(buffers),
                                 detail::string_searcher(delim), std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), delim);
}
template <class AsyncReadStream, class DynamicBuffer, class MatchCondition, class ReadHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0,
          detail::if_match_condition<MatchCondition> = 0>
auto async_read_until(AsyncReadStream& s, DynamicBuffer&& buffers, MatchCondition cond,
                      ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, auto&& cond) {
        using H = decltype(h);
        detail::start_read_until(s, std::forward<decltype(buffers)>(buffers),
                                 detail::condition_searcher<MatchCondition>(std::move(cond)),
                                 std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), std::move(cond));
}
template <class AsyncReadStream, class Allocator, class ReadHandler>
auto async_read_until(AsyncReadStream& s, basic_streambuf<Allocator>& b, char delim,
                      ReadHandler&& handler)
{
  return async_read_until(s, basic_streambuf_ref<Allocator>(b), delim,
                   std::forward<ReadHandler>(handler));
}
template <class AsyncReadStream, class Allocator, class ReadHandler>
auto async_read_until(AsyncReadStream& s, basic_streambuf<Allocator>& b, const std::string& delim,
                      ReadHandler&& handler)
{
  return async_read_until(s, basic_streambuf_ref<Allocator>(b), delim,
                   std::forward<ReadHandler>(handler));
}
template <class AsyncReadStream, class Allocator, class MatchCondition, class ReadHandler,
          detail::if_match_condition<MatchCondition> = 0>
auto async_read_until(AsyncReadStream& s, basic_streambuf<Allocator>& b, MatchCondition cond,
                      ReadHandler&& handler)
{
  return async_read_until(s, basic_streambuf_ref<Allocator>(b), std::move(cond),
                   std::forward<ReadHandler>(handler));
}

} // namespace blitz

#endif
