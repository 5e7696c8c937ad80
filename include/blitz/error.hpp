// Error enumerators and categories, with Asio's names and values.
//
// basic_errors are raw errno values in boost::system::system_category(), exactly as Asio
// reports them on POSIX, so an error_code produced by a syscall wrapper (errno in the system
// category) compares equal to the enumerator, and code ported from Asio that tests
// `ec == error::connection_reset` keeps working. The other enums do not come from errno and
// therefore get categories of their own; their numeric values also match Asio's.
#ifndef BLITZ_ERROR_HPP
#define BLITZ_ERROR_HPP

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>
#include <netdb.h>
#include <string>
#include <type_traits>

namespace blitz {
namespace error {

enum basic_errors
{
  access_denied = EACCES,
  address_family_not_supported = EAFNOSUPPORT,
  address_in_use = EADDRINUSE,
  already_connected = EISCONN,
  already_started = EALREADY,
  broken_pipe = EPIPE,
  connection_aborted = ECONNABORTED,
  connection_refused = ECONNREFUSED,
  connection_reset = ECONNRESET,
  bad_descriptor = EBADF,
  fault = EFAULT,
  host_unreachable = EHOSTUNREACH,
  in_progress = EINPROGRESS,
  interrupted = EINTR,
  invalid_argument = EINVAL,
  message_size = EMSGSIZE,
  name_too_long = ENAMETOOLONG,
  network_down = ENETDOWN,
  network_reset = ENETRESET,
  network_unreachable = ENETUNREACH,
  no_descriptors = EMFILE,
  no_buffer_space = ENOBUFS,
  no_memory = ENOMEM,
  no_permission = EPERM,
  no_protocol_option = ENOPROTOOPT,
  no_such_device = ENODEV,
  not_connected = ENOTCONN,
  not_socket = ENOTSOCK,
  operation_aborted = ECANCELED,
  operation_not_supported = EOPNOTSUPP,
  shut_down = ESHUTDOWN,
  timed_out = ETIMEDOUT,
  // On Linux EAGAIN == EWOULDBLOCK, so these two compare equal; on platforms where they
  // differ each keeps its own value, as in Asio.
  try_again = EAGAIN,
  would_block = EWOULDBLOCK
};

// h_errno values from <netdb.h> (HOST_NOT_FOUND is 1, TRY_AGAIN 2, NO_RECOVERY 3,
// NO_DATA 4), which is why the order below is not the numeric order.
enum netdb_errors
{
  host_not_found = HOST_NOT_FOUND,
  host_not_found_try_again = TRY_AGAIN,
  no_data = NO_DATA,
  no_recovery = NO_RECOVERY
};

// getaddrinfo() return codes; negative on glibc, which is fine for an error_code value.
enum addrinfo_errors
{
  service_not_found = EAI_SERVICE,
  socket_type_not_supported = EAI_SOCKTYPE
};

enum misc_errors
{
  already_open = 1,
  eof,
  not_found,
  fd_set_failure
};

namespace detail {

// Each category carries a fixed 64-bit id. Boost.System compares categories by id when one
// is set, so two copies of a category (e.g. one per shared object built with hidden
// visibility) still compare equal; without an id it would fall back to comparing addresses.
class netdb_category final : public boost::system::error_category
{
public:
  constexpr netdb_category() noexcept : boost::system::error_category(0x6b3f1c2ad9e04a71ULL) {}

  const char* name() const noexcept override { return "blitz.netdb"; }

  std::string message(int value) const override
  {
    switch (value)
    {
    case host_not_found:
      return "Host not found (authoritative)";
    case host_not_found_try_again:
      return "Host not found (non-authoritative), try again later";
    case no_data:
      return "The query is valid, but it does not have associated data";
    case no_recovery:
      return "A non-recoverable error occurred during database lookup";
    default:
      return "blitz.netdb error";
    }
  }
};

class addrinfo_category final : public boost::system::error_category
{
public:
  constexpr addrinfo_category() noexcept
    : boost::system::error_category(0x6b3f1c2ad9e04a72ULL)
  {
  }

  const char* name() const noexcept override { return "blitz.addrinfo"; }

  std::string message(int value) const override
  {
    switch (value)
    {
    case service_not_found:
      return "Service not found";
    case socket_type_not_supported:
      return "Socket type not supported";
    default:
      return "blitz.addrinfo error";
    }
  }
};

class misc_category final : public boost::system::error_category
{
public:
  constexpr misc_category() noexcept : boost::system::error_category(0x6b3f1c2ad9e04a73ULL) {}

  const char* name() const noexcept override { return "blitz.misc"; }

  std::string message(int value) const override
  {
    switch (value)
    {
    case already_open:
      return "Already open";
    case eof:
      return "End of file";
    case not_found:
      return "Element not found";
    case fd_set_failure:
      return "The descriptor does not fit into the select call's fd_set";
    default:
      return "blitz.misc error";
    }
  }
};

} // namespace detail

// Function-local statics in inline functions are one object per program (vague linkage),
// are initialised thread-safely on first use, and have trivial destructors, so an
// error_code built during static destruction still points at a live category.
inline const boost::system::error_category& get_system_category() noexcept
{
  return boost::system::system_category();
}

inline const boost::system::error_category& get_netdb_category() noexcept
{
  static const detail::netdb_category instance;
  return instance;
}

inline const boost::system::error_category& get_addrinfo_category() noexcept
{
  static const detail::addrinfo_category instance;
  return instance;
}

inline const boost::system::error_category& get_misc_category() noexcept
{
  static const detail::misc_category instance;
  return instance;
}

inline boost::system::error_code make_error_code(basic_errors e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), get_system_category());
}

inline boost::system::error_code make_error_code(netdb_errors e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), get_netdb_category());
}

inline boost::system::error_code make_error_code(addrinfo_errors e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), get_addrinfo_category());
}

inline boost::system::error_code make_error_code(misc_errors e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), get_misc_category());
}

inline void clear(boost::system::error_code& ec) noexcept
{
  ec.clear();
}

} // namespace error

// Asio offers these namespaces as stand-ins for the scoped enums proposed for the
// Networking TS; ported code may name them.
namespace stream_errc {
using error::eof;
using error::not_found;
} // namespace stream_errc

namespace socket_errc {
using error::already_open;
using error::not_found;
} // namespace socket_errc

namespace resolver_errc {
using error::host_not_found;
using error::service_not_found;
const error::netdb_errors try_again = error::host_not_found_try_again;
} // namespace resolver_errc

} // namespace blitz

namespace boost {
namespace system {

// Deriving from std::true_type, rather than declaring `static const bool value = true;`
// as Asio does, gives `value` a definition, so code that odr-uses it links in C++14.
template <>
struct is_error_code_enum<blitz::error::basic_errors> : std::true_type
{
};

template <>
struct is_error_code_enum<blitz::error::netdb_errors> : std::true_type
{
};

template <>
struct is_error_code_enum<blitz::error::addrinfo_errors> : std::true_type
{
};

template <>
struct is_error_code_enum<blitz::error::misc_errors> : std::true_type
{
};

} // namespace system
} // namespace boost

#endif
