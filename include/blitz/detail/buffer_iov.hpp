// Buffer sequence -> iovec array, for the synchronous calls of datagram sockets and
// descriptors (the asynchronous ones fill the op's own array with fill_iov).
#ifndef BLITZ_DETAIL_BUFFER_IOV_HPP
#define BLITZ_DETAIL_BUFFER_IOV_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/io_op.hpp>

#include <cstddef>
#include <sys/uio.h>

namespace blitz {
namespace detail {

// A sequence longer than io_op::max_iov transfers its first max_iov buffers, which a
// *_some call is allowed to do; a datagram is sent or received from those buffers alone.
struct iov_array
{
  ::iovec iov[io_op::max_iov];
  std::size_t count = 0;

  template <class BufferSequence>
  explicit iov_array(const BufferSequence& b)
  {
    auto it = blitz::buffer_sequence_begin(b);
    auto end = blitz::buffer_sequence_end(b);
    for (; it != end && count < io_op::max_iov; ++it)
    {
      const_buffer cb(*it);
      iov[count].iov_base = const_cast<void*>(cb.data());
      iov[count].iov_len = cb.size();
      ++count;
    }
  }
};

} // namespace detail
} // namespace blitz

#endif
