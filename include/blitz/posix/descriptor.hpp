// posix::descriptor: basic_descriptor on an io_context (readiness waits, io_control).
#ifndef BLITZ_POSIX_DESCRIPTOR_HPP
#define BLITZ_POSIX_DESCRIPTOR_HPP

#include <blitz/posix/basic_descriptor.hpp>

namespace blitz {
namespace posix {

using descriptor = basic_descriptor<>;

} // namespace posix
} // namespace blitz

#endif
