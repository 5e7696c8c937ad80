// The loop behind read_at/write_at and their async forms: call *_some_at at the starting
// offset plus what has been transferred, until the completion condition is satisfied, the
// buffers are done, or an error occurs. Like composed_transfer.hpp, the async form is the
// handler of each step it starts, so a whole transfer allocates one op per step.
#ifndef BLITZ_DETAIL_COMPOSED_TRANSFER_AT_HPP
#define BLITZ_DETAIL_COMPOSED_TRANSFER_AT_HPP

#include <blitz/detail/composed_op.hpp>
#include <blitz/detail/composed_transfer.hpp>
#include <blitz/dynamic_buffer.hpp>

#include <cstdint>
#include <utility>

namespace blitz {
namespace detail {

template <bool IsRead>
struct transfer_at_traits;

template <>
struct transfer_at_traits<true>
{
  using buffer = mutable_buffer;
  template <class Device, class Seq, class H>
  static void start_some(Device& d, std::uint64_t off, const Seq& b, H&& h)
  {
    d.async_read_some_at(off, b, std::forward<H>(h));
  }
  template <class Device, class Seq>
  static std::size_t some(Device& d, std::uint64_t off, const Seq& b,
                          boost::system::error_code& ec)
  {
    return d.read_some_at(off, b, ec);
  }
};

template <>
struct transfer_at_traits<false>
{
  using buffer = const_buffer;
  template <class Device, class Seq, class H>
  static void start_some(Device& d, std::uint64_t off, const Seq& b, H&& h)
  {
    d.async_write_some_at(off, b, std::forward<H>(h));
  }
  template <class Device, class Seq>
  static std::size_t some(Device& d, std::uint64_t off, const Seq& b,
                          boost::system::error_code& ec)
  {
    return d.write_some_at(off, b, ec);
  }
};

template <bool IsRead, class Device, class Buffers, class Condition, class Handler>
class composed_transfer_at_op : public composed_op_tag
{
  using traits = transfer_at_traits<IsRead>;
  using buffer = typename traits::buffer;

public:
  using handler_type = Handler;

  template <class H>
  composed_transfer_at_op(Device& d, std::uint64_t offset, const Buffers& b, Condition c, H&& h)
    : device_(&d), offset_(offset), buffers_(b), cond_(std::move(c)), handler_(std::forward<H>(h))
  {
  }

  // One *_some_at is always made, even when the condition is already met: its posted
  // completion keeps the handler from running inside the initiating call.
  void start()
  {
    std::size_t max = cond_(boost::system::error_code(), 0);
    traits::start_some(*device_, offset_, prepared_buffers<buffer>(buffers_, max),
                       std::move(*this));
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.consume(n);
    std::size_t max = 0;
    if (!ec && n != 0 && !buffers_.empty() &&
        (max = cond_(ec, buffers_.total_consumed())) != 0)
    {
      traits::start_some(*device_, offset_ + buffers_.total_consumed(),
                         prepared_buffers<buffer>(buffers_, max), std::move(*this));
      return;
    }
    handler_(ec, static_cast<std::size_t>(buffers_.total_consumed()));
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  Device* device_;
  std::uint64_t offset_;
  consuming_buffers<buffer, Buffers> buffers_;
  Condition cond_;
  Handler handler_;
};

template <bool IsRead, class Device, class Buffers, class Condition, class Handler>
void start_composed_transfer_at(Device& d, std::uint64_t offset, const Buffers& b, Condition&& c,
                                Handler&& h)
{
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  composed_transfer_at_op<IsRead, Device, Buffers, decltype(cond),
                          typename std::decay<Handler>::type>(d, offset, b, std::move(cond),
                                                              std::forward<Handler>(h))
      .start();
}

template <bool IsRead, class Device, class Buffers, class Condition>
std::size_t composed_transfer_at(Device& d, std::uint64_t offset, const Buffers& b, Condition&& c,
                                 boost::system::error_code& ec)
{
  using traits = transfer_at_traits<IsRead>;
  using buffer = typename traits::buffer;
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  consuming_buffers<buffer, Buffers> bufs(b);
  ec = boost::system::error_code();
  std::size_t max = cond(ec, 0);
  while (max != 0 && !bufs.empty())
  {
    std::size_t n = traits::some(d, offset + bufs.total_consumed(),
                                 prepared_buffers<buffer>(bufs, max), ec);
    bufs.consume(n);
    if (ec || n == 0)
      break;
    max = cond(ec, bufs.total_consumed());
  }
  return bufs.total_consumed();
}

// async_read_at into a dynamic buffer (a streambuf): grows it chunk by chunk at the next
// offset until the condition says stop, it reaches max_size(), or an error (eof included).
template <class Device, class DynamicBuffer, class Condition, class Handler>
class read_at_dynamic_op : public composed_op_tag
{
public:
  using handler_type = Handler;

  template <class H>
  read_at_dynamic_op(Device& d, std::uint64_t offset, DynamicBuffer b, Condition c, H&& h)
    : device_(&d), offset_(offset), buffers_(std::move(b)), cond_(std::move(c)),
      handler_(std::forward<H>(h))
  {
  }

  void start()
  {
    const std::size_t chunk = dynamic_read_size(buffers_, cond_(boost::system::error_code(), 0));
    device_->async_read_some_at(offset_, buffers_.prepare(chunk), std::move(*this));
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.commit(n);
    total_ += n;
    std::size_t chunk = 0;
    if (!ec && n != 0 && (chunk = dynamic_read_size(buffers_, cond_(ec, total_))) != 0)
    {
      device_->async_read_some_at(offset_ + total_, buffers_.prepare(chunk), std::move(*this));
      return;
    }
    handler_(ec, total_);
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  Device* device_;
  std::uint64_t offset_;
  DynamicBuffer buffers_;
  Condition cond_;
  std::size_t total_ = 0;
  Handler handler_;
};

template <class Device, class DynamicBuffer, class Condition, class Handler>
void start_read_at_dynamic(Device& d, std::uint64_t offset, DynamicBuffer b, Condition&& c,
                           Handler&& h)
{
  auto cond = adapt_completion_condition(std::forward<Condition>(c));
  read_at_dynamic_op<Device, DynamicBuffer, decltype(cond), typename std::decay<Handler>::type>(
      d, offset, std::move(b), std::move(cond), std::forward<Handler>(h))
      .start();
}

} // namespace detail
} // namespace blitz

#endif
