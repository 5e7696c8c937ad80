// IoControlCommand types for io_control() on sockets and descriptors: an ioctl request
// number (name()) and the argument the kernel reads or writes (data()).
#ifndef BLITZ_DETAIL_IO_CONTROL_HPP
#define BLITZ_DETAIL_IO_CONTROL_HPP

#include <cstddef>
#include <sys/ioctl.h>

namespace blitz {
namespace detail {
namespace io_control {

// FIONREAD: bytes that can be read without blocking (for a datagram socket, the size of
// the next datagram). The kernel writes an int, whatever size_t is.
class bytes_readable
{
public:
  bytes_readable() noexcept : value_(0) {}
  explicit bytes_readable(std::size_t value) noexcept : value_(static_cast<int>(value)) {}

  int name() const noexcept { return FIONREAD; }

  void set(std::size_t value) noexcept { value_ = static_cast<int>(value); }
  std::size_t get() const noexcept { return static_cast<std::size_t>(value_); }

  int* data() noexcept { return &value_; }
  const int* data() const noexcept { return &value_; }

private:
  int value_;
};

} // namespace io_control
} // namespace detail
} // namespace blitz

#endif
