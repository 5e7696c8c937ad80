// read_until / async_read_until with a boost::regex: read until the data contains a match;
// the count returned ends with the match.
//
// Boost.Regex is header-only since Boost 1.76 (this uses 1.81), so nothing extra is linked.
// It is kept out of read_until.hpp because <boost/regex.hpp> costs every includer half a
// second of compile time; blitz.hpp includes this header so that a program ported from
// <boost/asio.hpp> finds the regex overloads where Asio has them.
#ifndef BLITZ_READ_UNTIL_REGEX_HPP
#define BLITZ_READ_UNTIL_REGEX_HPP

#include <blitz/async_result.hpp>
#include <blitz/read_until.hpp>

#include <boost/regex.hpp>

namespace blitz {
namespace detail {

template <class Traits>
class regex_searcher
{
public:
  explicit regex_searcher(const boost::basic_regex<char, Traits>& expr) : expr_(expr) {}

  // match_partial reports a match that the end of the data cut short, so the next search
  // starts where it began. match_prev_avail when resuming mid-data: `^` and `\b` must see
  // the byte before the resume point rather than treat it as the start of input.
  template <class ConstBuffers>
  std::size_t operator()(const ConstBuffers& data, std::size_t& from) const
  {
    using iterator = buffers_iterator<ConstBuffers>;
    iterator begin = buffers_begin(data);
    iterator end = buffers_end(data);
    boost::match_results<iterator> m;
    boost::regex_constants::match_flag_type flags =
        boost::regex_constants::match_default | boost::regex_constants::match_partial;
    if (from > 0)
      flags = flags | boost::regex_constants::match_prev_avail;
    if (boost::regex_search(begin + static_cast<std::ptrdiff_t>(from), end, m, expr_, flags))
    {
      if (m[0].matched)
        return static_cast<std::size_t>(m[0].second - begin);
      from = static_cast<std::size_t>(m[0].first - begin);
      return no_match;
    }
    from = static_cast<std::size_t>(end - begin);
    return no_match;
  }

private:
  boost::basic_regex<char, Traits> expr_;
};

} // namespace detail

template <class SyncReadStream, class DynamicBuffer, class Traits,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers,
                       const boost::basic_regex<char, Traits>& expr,
                       boost::system::error_code& ec)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::regex_searcher<Traits>(expr), ec);
}
template <class SyncReadStream, class DynamicBuffer, class Traits,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read_until(SyncReadStream& s, DynamicBuffer&& buffers,
                       const boost::basic_regex<char, Traits>& expr)
{
  return detail::read_until_with(s, std::forward<DynamicBuffer>(buffers),
                                 detail::regex_searcher<Traits>(expr));
}
template <class SyncReadStream, class Allocator, class Traits>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b,
                       const boost::basic_regex<char, Traits>& expr,
                       boost::system::error_code& ec)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), expr, ec);
}
template <class SyncReadStream, class Allocator, class Traits>
std::size_t read_until(SyncReadStream& s, basic_streambuf<Allocator>& b,
                       const boost::basic_regex<char, Traits>& expr)
{
  return read_until(s, basic_streambuf_ref<Allocator>(b), expr);
}

// handler(error_code, std::size_t). The regex is copied into the operation.
template <class AsyncReadStream, class DynamicBuffer, class Traits, class ReadHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_read_until(AsyncReadStream& s, DynamicBuffer&& buffers,
                      const boost::basic_regex<char, Traits>& expr, ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, const auto& expr) {
        using H = decltype(h);
        detail::start_read_until(s, std::forward<decltype(buffers)>(buffers),
                                 detail::regex_searcher<Traits>(expr),
                                 std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), expr);
}
template <class AsyncReadStream, class Allocator, class Traits, class ReadHandler>
auto async_read_until(AsyncReadStream& s, basic_streambuf<Allocator>& b,
                      const boost::basic_regex<char, Traits>& expr, ReadHandler&& handler)
{
  return async_read_until(s, basic_streambuf_ref<Allocator>(b), expr,
                   std::forward<ReadHandler>(handler));
}

} // namespace blitz

#endif
