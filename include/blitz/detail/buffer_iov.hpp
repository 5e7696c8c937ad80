// Buffer sequence -> iovec array: the one conversion behind every synchronous transfer
// (iov_array) and every asynchronous one (fill_iov fills the op's own array).
#ifndef BLITZ_DETAIL_BUFFER_IOV_HPP
#define BLITZ_DETAIL_BUFFER_IOV_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/io_op.hpp>

#include <cstddef>
#include <sys/uio.h>

namespace blitz {
namespace detail {

// Writes up to io_op::max_iov iovecs for seq into out; returns how many. A sequence longer
// than that transfers its first max_iov buffers, which a *_some call is allowed to do; a
// datagram is sent or received from those buffers alone.
template <class BufferSequence>
std::size_t to_iovecs(const BufferSequence& seq, ::iovec* out) noexcept
{
  std::size_t n = 0;
  auto it = blitz::buffer_sequence_begin(seq);
  auto end = blitz::buffer_sequence_end(seq);
  for (; it != end && n < io_op::max_iov; ++it)
  {
    const_buffer cb(*it);
    out[n].iov_base = const_cast<void*>(cb.data());
    out[n].iov_len = cb.size();
    ++n;
  }
  return n;
}

struct iov_array
{
  ::iovec iov[io_op::max_iov];
  std::size_t count;

  template <class BufferSequence>
  explicit iov_array(const BufferSequence& b) noexcept : count(to_iovecs(b, iov))
  {
  }
};

} // namespace detail
} // namespace blitz

#endif
