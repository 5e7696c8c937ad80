// posix::stream_descriptor: basic_stream_descriptor on an io_context.
#ifndef BLITZ_POSIX_STREAM_DESCRIPTOR_HPP
#define BLITZ_POSIX_STREAM_DESCRIPTOR_HPP

#include <blitz/posix/basic_stream_descriptor.hpp>

namespace blitz {
namespace posix {

using stream_descriptor = basic_stream_descriptor<>;

} // namespace posix
} // namespace blitz

#endif
