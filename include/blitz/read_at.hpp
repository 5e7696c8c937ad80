// read_at / async_read_at: read at an offset until the buffers are full or the completion
// condition says stop (Asio's read_at), on a device offering read_some_at, such as
// random_access_file. Reading past the end of a file stops with error::eof and the count
// of the bytes that were there.
#ifndef BLITZ_READ_AT_HPP
#define BLITZ_READ_AT_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_streambuf.hpp>
#include <blitz/detail/composed_transfer_at.hpp>
#include <blitz/detail/dynamic_transfer.hpp>
#include <blitz/detail/throw_error.hpp>

#include <cstdint>

namespace blitz {

template <class SyncRandomAccessReadDevice, class MutableBufferSequence, class CompletionCondition,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    const MutableBufferSequence& b, CompletionCondition&& c,
                    boost::system::error_code& ec)
{
  return detail::composed_transfer_at<true>(d, offset, b, std::forward<CompletionCondition>(c),
                                            ec);
}

template <class SyncRandomAccessReadDevice, class MutableBufferSequence,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    const MutableBufferSequence& b, boost::system::error_code& ec)
{
  return read_at(d, offset, b, transfer_all(), ec);
}

template <class SyncRandomAccessReadDevice, class MutableBufferSequence, class CompletionCondition,
          detail::if_mutable_buffers<MutableBufferSequence> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    const MutableBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = read_at(d, offset, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "read_at");
  return n;
}

template <class SyncRandomAccessReadDevice, class MutableBufferSequence,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    const MutableBufferSequence& b)
{
  return read_at(d, offset, b, transfer_all());
}

// Into a streambuf: as much as the condition asks for (with transfer_all: everything up to
// eof or the streambuf's max_size()).
template <class SyncRandomAccessReadDevice, class Allocator, class CompletionCondition>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b, CompletionCondition&& c,
                    boost::system::error_code& ec)
{
  auto cond = detail::adapt_completion_condition(std::forward<CompletionCondition>(c));
  ec = boost::system::error_code();
  std::size_t total = 0;
  std::size_t chunk = detail::dynamic_read_size(b, cond(ec, total));
  while (chunk > 0)
  {
    std::size_t n = d.read_some_at(offset + total, b.prepare(chunk), ec);
    b.commit(n);
    total += n;
    if (ec || n == 0)
      break;
    chunk = detail::dynamic_read_size(b, cond(ec, total));
  }
  return total;
}

template <class SyncRandomAccessReadDevice, class Allocator>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b, boost::system::error_code& ec)
{
  return read_at(d, offset, b, transfer_all(), ec);
}

template <class SyncRandomAccessReadDevice, class Allocator, class CompletionCondition,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = read_at(d, offset, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "read_at");
  return n;
}

template <class SyncRandomAccessReadDevice, class Allocator>
std::size_t read_at(SyncRandomAccessReadDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b)
{
  return read_at(d, offset, b, transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncRandomAccessReadDevice, class MutableBufferSequence,
          class CompletionCondition, class ReadHandler,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
auto async_read_at(AsyncRandomAccessReadDevice& d, std::uint64_t offset,
                   const MutableBufferSequence& b, CompletionCondition&& c, ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&d, offset](auto&& h, const auto& b, auto&& c) {
        using H = decltype(h);
        detail::start_composed_transfer_at<true>(d, offset, b, std::forward<decltype(c)>(c),
                                                 std::forward<H>(h));
      },
      handler, b, std::forward<CompletionCondition>(c));
}

template <class AsyncRandomAccessReadDevice, class MutableBufferSequence, class ReadHandler,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
auto async_read_at(AsyncRandomAccessReadDevice& d, std::uint64_t offset,
                   const MutableBufferSequence& b, ReadHandler&& handler)
{
  return async_read_at(d, offset, b, transfer_all(), std::forward<ReadHandler>(handler));
}

template <class AsyncRandomAccessReadDevice, class Allocator, class CompletionCondition,
          class ReadHandler>
auto async_read_at(AsyncRandomAccessReadDevice& d, std::uint64_t offset,
                   basic_streambuf<Allocator>& b, CompletionCondition&& c, ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&d, offset, &b](auto&& h, auto&& c) {
        using H = decltype(h);
        detail::start_read_at_dynamic(d, offset, basic_streambuf_ref<Allocator>(b),
                                      std::forward<decltype(c)>(c),
                                      std::forward<H>(h));
      },
      handler, std::forward<CompletionCondition>(c));
}

template <class AsyncRandomAccessReadDevice, class Allocator, class ReadHandler>
auto async_read_at(AsyncRandomAccessReadDevice& d, std::uint64_t offset,
                   basic_streambuf<Allocator>& b, ReadHandler&& handler)
{
  return async_read_at(d, offset, b, transfer_all(), std::forward<ReadHandler>(handler));
}

} // namespace blitz

#endif
