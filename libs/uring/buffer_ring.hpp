#ifndef BLITZ_LIBS_URING_BUFFER_RING_HPP
#define BLITZ_LIBS_URING_BUFFER_RING_HPP

#include <blitz/detail/backend.hpp>

#include <liburing.h>

namespace blitz {
namespace detail {

// Registers a ring of `entries` (a power of two, at most 32,768) for buffer group `group`.
std::unique_ptr<buffer_ring> make_uring_buffer_ring(io_uring& ring, unsigned entries,
                                                    unsigned group,
                                                    boost::system::error_code& ec);

} // namespace detail
} // namespace blitz

#endif
