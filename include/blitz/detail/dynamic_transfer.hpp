// read / write with a dynamic buffer (or streambuf) instead of a fixed buffer sequence.
//
// Reading grows the buffer chunk by chunk (prepare, read_some, commit) until the completion
// condition says stop, the buffer reaches max_size(), or an error occurs; so read(s, sb)
// with transfer_all ends with error::eof and everything up to it in the buffer, as in Asio.
// Writing sends data() with the ordinary composed write and consumes what went out.
#ifndef BLITZ_DETAIL_DYNAMIC_TRANSFER_HPP
#define BLITZ_DETAIL_DYNAMIC_TRANSFER_HPP

#include <blitz/completion_condition.hpp>
#include <blitz/detail/composed_op.hpp>
#include <blitz/detail/composed_transfer.hpp>
#include <blitz/dynamic_buffer.hpp>

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// Overload constraints shared by read.hpp and write.hpp: buffer sequences, dynamic buffers
// and streambufs each have their own overloads, which must never compete.
template <class T>
using if_mutable_buffers =
    typename std::enable_if<is_mutable_buffer_sequence<T>::value, int>::type;

template <class T>
using if_const_buffers = typename std::enable_if<is_const_buffer_sequence<T>::value, int>::type;

template <class C>
using if_not_error_code = typename std::enable_if<
    !std::is_same<typename std::decay<C>::type, boost::system::error_code>::value, int>::type;

template <class SyncReadStream, class DynamicBuffer, class Condition>
std::size_t read_dynamic(SyncReadStream& s, DynamicBuffer& b, Condition&& c,
                         boost::system::error_code& ec)
{
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  ec = boost::system::error_code();
  std::size_t total = 0;
  std::size_t chunk = dynamic_read_size(b, cond(ec, total));
  while (chunk > 0)
  {
    const std::size_t n = s.read_some(b.prepare(chunk), ec);
    b.commit(n);
    total += n;
    if (ec || n == 0)
      break;
    chunk = dynamic_read_size(b, cond(ec, total));
  }
  return total;
}

template <class AsyncReadStream, class DynamicBuffer, class Condition, class Handler>
class read_dynamic_op : public composed_op_tag
{
public:
  using handler_type = Handler;

  template <class B, class H>
  read_dynamic_op(AsyncReadStream& s, B&& b, Condition c, H&& h)
    : stream_(&s), buffers_(std::forward<B>(b)), cond_(std::move(c)),
      handler_(std::forward<H>(h))
  {
  }

  // One read_some always starts, zero-length if the condition or the buffer's cap already
  // forbid more: its posted completion keeps the handler out of the initiating call.
  void start()
  {
    const std::size_t chunk = dynamic_read_size(buffers_, cond_(boost::system::error_code(), 0));
    stream_->async_read_some(buffers_.prepare(chunk), std::move(*this));
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.commit(n);
    total_ += n;
    std::size_t chunk = 0;
    if (!ec && n != 0 && (chunk = dynamic_read_size(buffers_, cond_(ec, total_))) != 0)
    {
      stream_->async_read_some(buffers_.prepare(chunk), std::move(*this));
      return;
    }
    handler_(ec, total_);
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  AsyncReadStream* stream_;
  DynamicBuffer buffers_;
  Condition cond_;
  std::size_t total_ = 0;
  Handler handler_;
};

template <class AsyncReadStream, class DynamicBuffer, class Condition, class Handler>
void start_read_dynamic(AsyncReadStream& s, DynamicBuffer&& b, Condition&& c, Handler&& h)
{
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  read_dynamic_op<AsyncReadStream, typename std::decay<DynamicBuffer>::type, decltype(cond),
                  typename std::decay<Handler>::type>(s, std::forward<DynamicBuffer>(b),
                                                      std::move(cond), std::forward<Handler>(h))
      .start();
}

// The handler of a composed write of a dynamic buffer's data(): drops the bytes written
// from the buffer, then completes. data() stays valid throughout because nothing else may
// touch the buffer while the write is outstanding.
template <class DynamicBuffer, class Handler>
class write_dynamic_handler : public composed_op_tag
{
public:
  using handler_type = Handler;

  template <class B, class H>
  write_dynamic_handler(B&& b, H&& h) : buffers_(std::forward<B>(b)), handler_(std::forward<H>(h))
  {
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.consume(n);
    handler_(ec, n);
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  DynamicBuffer buffers_;
  Handler handler_;
};

template <class AsyncWriteStream, class DynamicBuffer, class Condition, class Handler>
void start_write_dynamic(AsyncWriteStream& s, DynamicBuffer&& b, Condition&& c, Handler&& h)
{
  using buffer_type = typename std::decay<DynamicBuffer>::type;
  const typename buffer_type::const_buffers_type data = b.data();
  start_composed_transfer<false>(
      s, data, std::forward<Condition>(c),
      write_dynamic_handler<buffer_type, typename std::decay<Handler>::type>(
          std::forward<DynamicBuffer>(b), std::forward<Handler>(h)));
}

} // namespace detail
} // namespace blitz

#endif
