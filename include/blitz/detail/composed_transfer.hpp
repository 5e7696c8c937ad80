// The loop behind async_read/async_write and read/write: call *_some until the
// completion condition is satisfied, the buffers are full, or an error occurs.
//
// The async form is itself the handler of each async_*_some it starts (Asio's composed-op
// pattern): it carries the user's handler, the buffer position and the byte count, so the
// whole transfer costs one op allocation per *_some call and nothing else, and the slab
// pool gives each step the block the previous step just freed.
#ifndef BLITZ_DETAIL_COMPOSED_TRANSFER_HPP
#define BLITZ_DETAIL_COMPOSED_TRANSFER_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/detail/composed_op.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/buffer.hpp>
#include <blitz/completion_condition.hpp>
#include <blitz/detail/consuming_buffers.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/io_op.hpp>

#include <boost/system/error_code.hpp>
#include <utility>

namespace blitz {
namespace detail {

// A buffer sequence of at most io_op::max_iov buffers: the next slice of a consuming_buffers.
template <class Buffer>
class prepared_buffers
{
public:
  using value_type = Buffer;
  using const_iterator = const Buffer*;

  template <class Consuming>
  prepared_buffers(const Consuming& c, std::size_t max_bytes)
  {
    ::iovec iov[io_op::max_iov];
    count_ = c.prepare(max_bytes, iov, io_op::max_iov);
    for (std::size_t i = 0; i < count_; ++i)
      bufs_[i] = Buffer(iov[i].iov_base, iov[i].iov_len);
  }
  const_iterator begin() const noexcept { return bufs_; }
  const_iterator end() const noexcept { return bufs_ + count_; }

private:
  Buffer bufs_[io_op::max_iov];
  std::size_t count_ = 0;
};

template <bool IsRead>
struct transfer_traits;

template <>
struct transfer_traits<true>
{
  using buffer = mutable_buffer;
  template <class Stream, class Seq, class H>
  static void start_some(Stream& s, const Seq& b, H&& h)
  {
    s.async_read_some(b, std::forward<H>(h));
  }
  template <class Stream, class Seq>
  static std::size_t some(Stream& s, const Seq& b, boost::system::error_code& ec)
  {
    return s.read_some(b, ec);
  }
};

template <>
struct transfer_traits<false>
{
  using buffer = const_buffer;
  template <class Stream, class Seq, class H>
  static void start_some(Stream& s, const Seq& b, H&& h)
  {
    s.async_write_some(b, std::forward<H>(h));
  }
  template <class Stream, class Seq>
  static std::size_t some(Stream& s, const Seq& b, boost::system::error_code& ec)
  {
    return s.write_some(b, ec);
  }
};

template <bool IsRead, class Stream, class Buffers, class Condition, class Handler>
class composed_transfer_op
{
  using traits = transfer_traits<IsRead>;
  using buffer = typename traits::buffer;

public:
  template <class H>
  composed_transfer_op(Stream& s, const Buffers& b, Condition c, H&& h)
    : stream_(&s), buffers_(b), cond_(std::move(c)), handler_(std::forward<H>(h))
  {
  }

  void start()
  {
    // Even when the condition is already met, one *_some call is made: its (immediate,
    // posted) completion keeps the handler from ever running inside the initiating call.
    std::size_t max = cond_(boost::system::error_code(), 0);
    traits::start_some(*stream_, prepared_buffers<buffer>(buffers_, max), std::move(*this));
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.consume(n);
    std::size_t max = 0;
    // A *_some that moved no bytes without an error cannot make progress (a zero-length
    // slice): stop rather than loop.
    if (!ec && n != 0 && !buffers_.empty() &&
        (max = cond_(ec, buffers_.total_consumed())) != 0)
    {
      traits::start_some(*stream_, prepared_buffers<buffer>(buffers_, max), std::move(*this));
      return;
    }
    handler_(ec, static_cast<std::size_t>(buffers_.total_consumed()));
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  Stream* stream_;
  consuming_buffers<buffer, Buffers> buffers_;
  Condition cond_;
  Handler handler_;
};

} // namespace detail

// Each step of a composed transfer runs where, and allocates with what, the caller's
// handler asks: a read bound to a strand has its intermediate steps on that strand too.
template <bool IsRead, class Stream, class Buffers, class Condition, class Handler, class Executor>
struct associated_executor<detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>,
                           Executor>
{
  using type = associated_executor_t<Handler, Executor>;
  static type get(const detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>& o,
                  const Executor& e = Executor()) noexcept
  {
    return associated_executor<Handler, Executor>::get(o.handler(), e);
  }
};

template <bool IsRead, class Stream, class Buffers, class Condition, class Handler, class Allocator>
struct associated_allocator<detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>,
                            Allocator>
{
  using type = associated_allocator_t<Handler, Allocator>;
  static type get(const detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>& o,
                  const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<Handler, Allocator>::get(o.handler(), a);
  }
};

// Cancelling the caller's slot cancels whichever step is pending; the transfer then
// completes with operation_aborted and the bytes moved so far.
template <bool IsRead, class Stream, class Buffers, class Condition, class Handler, class Slot>
struct associated_cancellation_slot<
    detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>, Slot>
{
  using type = associated_cancellation_slot_t<Handler, Slot>;
  static type get(const detail::composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>& o,
                  const Slot& s = Slot()) noexcept
  {
    return associated_cancellation_slot<Handler, Slot>::get(o.handler(), s);
  }
};

namespace detail {

// Terminal and partial only, as for every composed op (see honoured_cancellation).
template <bool IsRead, class Stream, class Buffers, class Condition, class Handler>
struct honoured_cancellation<composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>>
  : composed_honoured_cancellation<Handler>
{
};

// A deadline (cancel_after) covers the whole transfer: each step gets the same one.
template <bool IsRead, class Stream, class Buffers, class Condition, class Handler>
struct handler_deadline<composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>>
{
  static std::int64_t get(const composed_transfer_op<IsRead, Stream, Buffers, Condition, Handler>& o) noexcept
  {
    return handler_deadline<Handler>::get(o.handler());
  }
};

template <bool IsRead, class Stream, class Buffers, class Condition, class Handler>
void start_composed_transfer(Stream& s, const Buffers& b, Condition&& c, Handler&& h)
{
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  composed_transfer_op<IsRead, Stream, Buffers, decltype(cond),
                       typename std::decay<Handler>::type>(s, b, std::move(cond),
                                                           std::forward<Handler>(h))
      .start();
}

template <bool IsRead, class Stream, class Buffers, class Condition>
std::size_t composed_transfer(Stream& s, const Buffers& b, Condition&& c,
                              boost::system::error_code& ec)
{
  using traits = transfer_traits<IsRead>;
  using buffer = typename traits::buffer;
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  consuming_buffers<buffer, Buffers> bufs(b);
  ec = boost::system::error_code();
  std::size_t max = cond(ec, 0);
  while (max != 0 && !bufs.empty())
  {
    std::size_t n = traits::some(s, prepared_buffers<buffer>(bufs, max), ec);
    bufs.consume(n);
    if (ec || n == 0)
      break;
    max = cond(ec, bufs.total_consumed());
  }
  return bufs.total_consumed();
}

} // namespace detail
} // namespace blitz

#endif
