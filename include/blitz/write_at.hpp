// write_at / async_write_at: write at an offset until every byte is written or the
// completion condition says stop (Asio's write_at), on a device offering write_some_at,
// such as random_access_file.
#ifndef BLITZ_WRITE_AT_HPP
#define BLITZ_WRITE_AT_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_streambuf.hpp>
#include <blitz/detail/composed_transfer_at.hpp>
#include <blitz/detail/dynamic_transfer.hpp>
#include <blitz/detail/throw_error.hpp>

#include <cstdint>

namespace blitz {

template <class SyncRandomAccessWriteDevice, class ConstBufferSequence, class CompletionCondition,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     const ConstBufferSequence& b, CompletionCondition&& c,
                     boost::system::error_code& ec)
{
  return detail::composed_transfer_at<false>(d, offset, b, std::forward<CompletionCondition>(c),
                                             ec);
}

template <class SyncRandomAccessWriteDevice, class ConstBufferSequence,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     const ConstBufferSequence& b, boost::system::error_code& ec)
{
  return write_at(d, offset, b, transfer_all(), ec);
}

template <class SyncRandomAccessWriteDevice, class ConstBufferSequence, class CompletionCondition,
          detail::if_const_buffers<ConstBufferSequence> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     const ConstBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = write_at(d, offset, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "write_at");
  return n;
}

template <class SyncRandomAccessWriteDevice, class ConstBufferSequence,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     const ConstBufferSequence& b)
{
  return write_at(d, offset, b, transfer_all());
}

// From a streambuf: writes its data() and consumes what was written.
template <class SyncRandomAccessWriteDevice, class Allocator, class CompletionCondition>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     basic_streambuf<Allocator>& b, CompletionCondition&& c,
                     boost::system::error_code& ec)
{
  const typename basic_streambuf<Allocator>::const_buffers_type data = b.data();
  std::size_t n = write_at(d, offset, data, std::forward<CompletionCondition>(c), ec);
  b.consume(n);
  return n;
}

template <class SyncRandomAccessWriteDevice, class Allocator>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     basic_streambuf<Allocator>& b, boost::system::error_code& ec)
{
  return write_at(d, offset, b, transfer_all(), ec);
}

template <class SyncRandomAccessWriteDevice, class Allocator, class CompletionCondition,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     basic_streambuf<Allocator>& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = write_at(d, offset, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "write_at");
  return n;
}

template <class SyncRandomAccessWriteDevice, class Allocator>
std::size_t write_at(SyncRandomAccessWriteDevice& d, std::uint64_t offset,
                     basic_streambuf<Allocator>& b)
{
  return write_at(d, offset, b, transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncRandomAccessWriteDevice, class ConstBufferSequence,
          class CompletionCondition, class WriteHandler,
          detail::if_const_buffers<ConstBufferSequence> = 0>
auto async_write_at(AsyncRandomAccessWriteDevice& d, std::uint64_t offset,
                    const ConstBufferSequence& b, CompletionCondition&& c, WriteHandler&& handler)
{
  return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
      [&d, offset](auto&& h, const auto& b, auto&& c) {
        using H = decltype(h);
        detail::start_composed_transfer_at<false>(d, offset, b, std::forward<decltype(c)>(c),
                                                  std::forward<H>(h));
      },
      handler, b, std::forward<CompletionCondition>(c));
}

template <class AsyncRandomAccessWriteDevice, class ConstBufferSequence, class WriteHandler,
          detail::if_const_buffers<ConstBufferSequence> = 0>
auto async_write_at(AsyncRandomAccessWriteDevice& d, std::uint64_t offset,
                    const ConstBufferSequence& b, WriteHandler&& handler)
{
  return async_write_at(d, offset, b, transfer_all(), std::forward<WriteHandler>(handler));
}

// From a streambuf: writes its data() and consumes what was written before the handler
// runs. The streambuf must outlive the operation and stay untouched meanwhile.
template <class AsyncRandomAccessWriteDevice, class Allocator, class CompletionCondition,
          class WriteHandler>
auto async_write_at(AsyncRandomAccessWriteDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b, CompletionCondition&& c, WriteHandler&& handler)
{
  return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
      [&d, offset, &b](auto&& h, auto&& c) {
        using H = decltype(h);
        const typename basic_streambuf<Allocator>::const_buffers_type data = b.data();
        detail::start_composed_transfer_at<false>(
            d, offset, data, std::forward<decltype(c)>(c),
            detail::write_dynamic_handler<basic_streambuf_ref<Allocator>,
                                          typename std::decay<H>::type>(
                basic_streambuf_ref<Allocator>(b), std::forward<H>(h)));
      },
      handler, std::forward<CompletionCondition>(c));
}

template <class AsyncRandomAccessWriteDevice, class Allocator, class WriteHandler>
auto async_write_at(AsyncRandomAccessWriteDevice& d, std::uint64_t offset,
                    basic_streambuf<Allocator>& b, WriteHandler&& handler)
{
  return async_write_at(d, offset, b, transfer_all(), std::forward<WriteHandler>(handler));
}

} // namespace blitz

#endif
