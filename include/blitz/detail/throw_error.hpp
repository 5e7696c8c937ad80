// The bridge from the error_code& overloads to the throwing ones: every throwing
// synchronous function calls its error_code twin and then this.
#ifndef BLITZ_DETAIL_THROW_ERROR_HPP
#define BLITZ_DETAIL_THROW_ERROR_HPP

#include <boost/config.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace blitz {
namespace detail {

// Kept out of line so that the throw and its exception object construction do
// not bloat every inlined caller on the success path.
[[noreturn]] BOOST_NOINLINE inline void do_throw_error(
    const boost::system::error_code& ec, const char* location)
{
  if (location)
    throw boost::system::system_error(ec, location);
  throw boost::system::system_error(ec);
}

inline void throw_error(const boost::system::error_code& ec)
{
  if (ec)
    do_throw_error(ec, nullptr);
}

// `location` names the operation that failed (e.g. "connect"); system_error::what() then
// reads "connect: Connection refused [system:111]".
inline void throw_error(const boost::system::error_code& ec, const char* location)
{
  if (ec)
    do_throw_error(ec, location);
}

} // namespace detail
} // namespace blitz

#endif
