// write / async_write: transfer until every byte is written or the condition says stop.
//
// From a buffer sequence: write it. From a dynamic buffer or a streambuf: write its data()
// and consume the bytes written from it.
#ifndef BLITZ_WRITE_HPP
#define BLITZ_WRITE_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_streambuf.hpp>
#include <blitz/detail/composed_transfer.hpp>
#include <blitz/detail/dynamic_transfer.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/dynamic_buffer.hpp>

namespace blitz {

template <class SyncWriteStream, class ConstBufferSequence, class CompletionCondition,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  return detail::composed_transfer<false>(s, b, std::forward<CompletionCondition>(c), ec);
}

template <class SyncWriteStream, class ConstBufferSequence,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, boost::system::error_code& ec)
{
  return write(s, b, transfer_all(), ec);
}

template <class SyncWriteStream, class ConstBufferSequence, class CompletionCondition,
          detail::if_const_buffers<ConstBufferSequence> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = write(s, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "write");
  return n;
}

template <class SyncWriteStream, class ConstBufferSequence,
          detail::if_const_buffers<ConstBufferSequence> = 0>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b)
{
  return write(s, b, transfer_all());
}

// Dynamic buffers.
template <class SyncWriteStream, class DynamicBuffer, class CompletionCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t write(SyncWriteStream& s, DynamicBuffer&& buffers, CompletionCondition&& c,
                  boost::system::error_code& ec)
{
  typename std::decay<DynamicBuffer>::type b(std::forward<DynamicBuffer>(buffers));
  const typename std::decay<DynamicBuffer>::type::const_buffers_type data = b.data();
  std::size_t n = detail::composed_transfer<false>(s, data, std::forward<CompletionCondition>(c), ec);
  b.consume(n);
  return n;
}

template <class SyncWriteStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t write(SyncWriteStream& s, DynamicBuffer&& buffers, boost::system::error_code& ec)
{
  return write(s, std::forward<DynamicBuffer>(buffers), transfer_all(), ec);
}

template <class SyncWriteStream, class DynamicBuffer, class CompletionCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t write(SyncWriteStream& s, DynamicBuffer&& buffers, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = write(s, std::forward<DynamicBuffer>(buffers),
                        std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "write");
  return n;
}

template <class SyncWriteStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t write(SyncWriteStream& s, DynamicBuffer&& buffers)
{
  return write(s, std::forward<DynamicBuffer>(buffers), transfer_all());
}

// Streambufs.
template <class SyncWriteStream, class Allocator, class CompletionCondition>
std::size_t write(SyncWriteStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c,
                  boost::system::error_code& ec)
{
  return write(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c), ec);
}

template <class SyncWriteStream, class Allocator>
std::size_t write(SyncWriteStream& s, basic_streambuf<Allocator>& b, boost::system::error_code& ec)
{
  return write(s, basic_streambuf_ref<Allocator>(b), transfer_all(), ec);
}

template <class SyncWriteStream, class Allocator, class CompletionCondition,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t write(SyncWriteStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c)
{
  return write(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c));
}

template <class SyncWriteStream, class Allocator>
std::size_t write(SyncWriteStream& s, basic_streambuf<Allocator>& b)
{
  return write(s, basic_streambuf_ref<Allocator>(b), transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncWriteStream, class ConstBufferSequence, class CompletionCondition,
          class WriteHandler, detail::if_const_buffers<ConstBufferSequence> = 0>
auto async_write(AsyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c,
                WriteHandler&& handler)
{
  return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, const auto& b, auto&& c) {
        using H = decltype(h);
        detail::start_composed_transfer<false>(s, b, std::forward<decltype(c)>(c),
                                              std::forward<H>(h));
      },
      handler, b, std::forward<CompletionCondition>(c));
}

template <class AsyncWriteStream, class ConstBufferSequence, class WriteHandler,
          detail::if_const_buffers<ConstBufferSequence> = 0>
auto async_write(AsyncWriteStream& s, const ConstBufferSequence& b, WriteHandler&& handler)
{
  return async_write(s, b, transfer_all(), std::forward<WriteHandler>(handler));
}

// The dynamic buffer is copied into the operation; what it refers to must outlive it.
template <class AsyncWriteStream, class DynamicBuffer, class CompletionCondition,
          class WriteHandler, detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_write(AsyncWriteStream& s, DynamicBuffer&& buffers, CompletionCondition&& c,
                 WriteHandler&& handler)
{
  return async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, auto&& c) {
        using H = decltype(h);
        detail::start_write_dynamic(s, std::forward<decltype(buffers)>(buffers),
                                    std::forward<decltype(c)>(c),
                                    std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), std::forward<CompletionCondition>(c));
}

template <class AsyncWriteStream, class DynamicBuffer, class WriteHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_write(AsyncWriteStream& s, DynamicBuffer&& buffers, WriteHandler&& handler)
{
  return async_write(s, std::forward<DynamicBuffer>(buffers), transfer_all(),
              std::forward<WriteHandler>(handler));
}

template <class AsyncWriteStream, class Allocator, class CompletionCondition, class WriteHandler>
auto async_write(AsyncWriteStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c,
                 WriteHandler&& handler)
{
  return async_write(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c),
              std::forward<WriteHandler>(handler));
}

template <class AsyncWriteStream, class Allocator, class WriteHandler>
auto async_write(AsyncWriteStream& s, basic_streambuf<Allocator>& b, WriteHandler&& handler)
{
  return async_write(s, basic_streambuf_ref<Allocator>(b), transfer_all(),
              std::forward<WriteHandler>(handler));
}

} // namespace blitz

#endif
