// Buffer sequence -> iovec array: the one conversion behind every synchronous transfer
// (iov_array) and every asynchronous one (fill_iov fills the op's own array, which holds
// io_op::max_iov).
#ifndef BLITZ_DETAIL_BUFFER_IOV_HPP
#define BLITZ_DETAIL_BUFFER_IOV_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/io_op.hpp>

#include <cstddef>
#include <sys/uio.h>

namespace blitz {
namespace detail {

// The iovecs of one synchronous transfer, on the caller's stack: as many buffers as Asio
// takes per call.
constexpr std::size_t max_sync_iov = 64;

// Writes the non-empty buffers of seq into out, up to cap of them; returns how many, and
// sets *left_over when a non-empty buffer did not fit. Empty buffers move no byte, so they
// take no slot: a sequence of empty buffers with data behind them transfers that data (it
// used to fill every slot with nothing and move 0 bytes). A stream transfer of a longer
// sequence moves what fits, which a *_some call may do; a datagram must not be cut short
// silently (see datagram_fits).
template <class BufferSequence>
std::size_t to_iovecs(const BufferSequence& seq, ::iovec* out, std::size_t cap,
                      bool* left_over = nullptr) noexcept
{
  std::size_t n = 0;
  auto it = blitz::buffer_sequence_begin(seq);
  auto end = blitz::buffer_sequence_end(seq);
  for (; it != end; ++it)
  {
    const_buffer cb(*it);
    if (cb.size() == 0)
      continue;
    if (n == cap)
    {
      if (left_over)
        *left_over = true;
      break;
    }
    out[n].iov_base = const_cast<void*>(cb.data());
    out[n].iov_len = cb.size();
    ++n;
  }
  return n;
}

struct iov_array
{
  ::iovec iov[max_sync_iov];
  // A non-empty buffer beyond max_sync_iov was left out. Ahead of count, whose
  // initialisation sets it.
  bool left_over = false;
  std::size_t count;

  template <class BufferSequence>
  explicit iov_array(const BufferSequence& b) noexcept
    : count(to_iovecs(b, iov, max_sync_iov, &left_over))
  {
  }
};

} // namespace detail
} // namespace blitz

#endif
