// Handler-typed file ops and the buffer-sequence plumbing the file templates share.
#ifndef BLITZ_DETAIL_FILE_OPS_HPP
#define BLITZ_DETAIL_FILE_OPS_HPP

#include <blitz/buffer.hpp>
#include <blitz/detail/file_impl.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/socket_ops.hpp>

#include <memory>
#include <utility>

namespace blitz {
namespace detail {

// Up to io_op::max_iov buffers of seq as iovecs, for the synchronous calls (which, like
// read_some/write_some anywhere, may transfer less than the whole sequence).
template <class BufferSequence>
std::size_t file_iov(const BufferSequence& seq, ::iovec* iov)
{
  std::size_t n = 0;
  auto it = blitz::buffer_sequence_begin(seq);
  auto end = blitz::buffer_sequence_end(seq);
  for (; it != end && n < io_op::max_iov; ++it)
  {
    const_buffer b(*it);
    iov[n].iov_base = const_cast<void*>(b.data());
    iov[n].iov_len = b.size();
    ++n;
  }
  return n;
}

// Caps a transfer at what Linux moves in one read/write call anyway (MAX_RW_COUNT), so a
// huge buffer becomes an ordinary short transfer: io_uring's read/write SQEs carry the
// length as 32 bits, and a 4 GiB buffer would otherwise wrap to a zero-length read that
// looks like end of file.
inline void clamp_transfer(io_op* o) noexcept
{
  std::size_t left = 0x7ffff000;
  for (unsigned i = 0; i < o->iov_count_; ++i)
  {
    if (o->iov_[i].iov_len > left)
      o->iov_[i].iov_len = left;
    left -= o->iov_[i].iov_len;
  }
}

// A stream_file read_some / write_some: handler(error_code, std::size_t). Holds the file's
// shared state so the position can advance on completion even if the file object was
// moved or destroyed meanwhile.
template <class Handler>
class stream_file_op final : public io_op
{
public:
  template <class H>
  stream_file_op(io_kind k, std::shared_ptr<file_state> st, H&& h)
    : io_op(&stream_file_op::do_complete, k), state_(std::move(st)),
      handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    stream_file_op* self = static_cast<stream_file_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    std::shared_ptr<file_state> st(std::move(self->state_));
    boost::system::error_code ec = self->ec_;
    std::size_t n = self->bytes_;
    delete_op_with(self, alloc);
    disconnect_cancellation(handler);
    if (!owner)
      return;
    // Before the handler: it may well start the next read at the new position.
    if (st)
      file_stream_advance(*st, n);
    invoke_handler(handler, ec, n);
  }

  std::shared_ptr<file_state> state_;
  Handler handler_;
};

template <class BufferSequence, class Handler>
void start_stream_file_op(file_impl& impl, io_kind k, const BufferSequence& b, Handler&& handler)
{
  using op_t = stream_file_op<decay_handler_t<Handler>>;
  op_t* o = new_handler_op<op_t>(std::forward<Handler>(handler), k, impl.state());
  o->offset_ = impl.stream_offset();
  if (fill_iov(o, b) == 0 && impl.is_open())
    impl.post_immediate(o, boost::system::error_code());
  else
  {
    clamp_transfer(o);
    impl.start_op(o);
  }
}

template <class BufferSequence, class Handler>
void start_file_op_at(file_impl& impl, io_kind k, std::uint64_t offset, const BufferSequence& b,
                      Handler&& handler)
{
  using op_t = transfer_op<decay_handler_t<Handler>>;
  op_t* o = new_handler_op<op_t>(std::forward<Handler>(handler), k);
  if (offset > static_cast<std::uint64_t>(INT64_MAX))
  {
    impl.post_immediate(o, boost::system::error_code(EINVAL, boost::system::system_category()));
    return;
  }
  o->offset_ = static_cast<std::int64_t>(offset);
  if (fill_iov(o, b) == 0 && impl.is_open())
    impl.post_immediate(o, boost::system::error_code());
  else
  {
    clamp_transfer(o);
    impl.start_op(o);
  }
}

} // namespace detail
} // namespace blitz

#endif
