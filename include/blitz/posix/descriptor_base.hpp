// posix::descriptor_base: the names every descriptor class shares (Asio's descriptor_base).
#ifndef BLITZ_POSIX_DESCRIPTOR_BASE_HPP
#define BLITZ_POSIX_DESCRIPTOR_BASE_HPP

#include <blitz/detail/io_control.hpp>

namespace blitz {
namespace posix {

class descriptor_base
{
public:
  // For wait() and async_wait().
  enum wait_type
  {
    wait_read,
    wait_write,
    wait_error
  };

  // For io_control(): bytes a read could return now (FIONREAD).
  using bytes_readable = blitz::detail::io_control::bytes_readable;

protected:
  ~descriptor_base() = default;
};

} // namespace posix
} // namespace blitz

#endif
