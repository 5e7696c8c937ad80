// streambuf: basic_streambuf with the default allocator, as Asio names it.
#ifndef BLITZ_STREAMBUF_HPP
#define BLITZ_STREAMBUF_HPP

#include <blitz/basic_streambuf.hpp>

namespace blitz {

using streambuf = basic_streambuf<>;

} // namespace blitz

#endif
