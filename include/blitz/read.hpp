// read / async_read: transfer until the buffers are full or the condition says stop.
//
// Into a buffer sequence: fill it. Into a dynamic buffer (dynamic_buffer(str), a
// DynamicBuffer_v1) or a streambuf: grow it until the condition says stop, it reaches
// max_size(), or an error (with transfer_all, eof is how a whole-stream read ends).
#ifndef BLITZ_READ_HPP
#define BLITZ_READ_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_streambuf.hpp>
#include <blitz/detail/composed_transfer.hpp>
#include <blitz/detail/dynamic_transfer.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/dynamic_buffer.hpp>

namespace blitz {

template <class SyncReadStream, class MutableBufferSequence, class CompletionCondition,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  return detail::composed_transfer<true>(s, b, std::forward<CompletionCondition>(c), ec);
}

template <class SyncReadStream, class MutableBufferSequence,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, boost::system::error_code& ec)
{
  return read(s, b, transfer_all(), ec);
}

template <class SyncReadStream, class MutableBufferSequence, class CompletionCondition,
          detail::if_mutable_buffers<MutableBufferSequence> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = read(s, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "read");
  return n;
}

template <class SyncReadStream, class MutableBufferSequence,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b)
{
  return read(s, b, transfer_all());
}

// Dynamic buffers.
template <class SyncReadStream, class DynamicBuffer, class CompletionCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read(SyncReadStream& s, DynamicBuffer&& buffers, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  typename std::decay<DynamicBuffer>::type b(std::forward<DynamicBuffer>(buffers));
  return detail::read_dynamic(s, b, std::forward<CompletionCondition>(c), ec);
}

template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read(SyncReadStream& s, DynamicBuffer&& buffers, boost::system::error_code& ec)
{
  return read(s, std::forward<DynamicBuffer>(buffers), transfer_all(), ec);
}

template <class SyncReadStream, class DynamicBuffer, class CompletionCondition,
          detail::if_dynamic_buffer<DynamicBuffer> = 0,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t read(SyncReadStream& s, DynamicBuffer&& buffers, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = read(s, std::forward<DynamicBuffer>(buffers),
                       std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "read");
  return n;
}

template <class SyncReadStream, class DynamicBuffer, detail::if_dynamic_buffer<DynamicBuffer> = 0>
std::size_t read(SyncReadStream& s, DynamicBuffer&& buffers)
{
  return read(s, std::forward<DynamicBuffer>(buffers), transfer_all());
}

// Streambufs, through a reference so the streambuf is never copied.
template <class SyncReadStream, class Allocator, class CompletionCondition>
std::size_t read(SyncReadStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  return read(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c), ec);
}

template <class SyncReadStream, class Allocator>
std::size_t read(SyncReadStream& s, basic_streambuf<Allocator>& b, boost::system::error_code& ec)
{
  return read(s, basic_streambuf_ref<Allocator>(b), transfer_all(), ec);
}

template <class SyncReadStream, class Allocator, class CompletionCondition,
          detail::if_not_error_code<CompletionCondition> = 0>
std::size_t read(SyncReadStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c)
{
  return read(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c));
}

template <class SyncReadStream, class Allocator>
std::size_t read(SyncReadStream& s, basic_streambuf<Allocator>& b)
{
  return read(s, basic_streambuf_ref<Allocator>(b), transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncReadStream, class MutableBufferSequence, class CompletionCondition,
          class ReadHandler, detail::if_mutable_buffers<MutableBufferSequence> = 0>
auto async_read(AsyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c,
                ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, const auto& b, auto&& c) {
        using H = decltype(h);
        detail::start_composed_transfer<true>(s, b, std::forward<decltype(c)>(c),
                                              std::forward<H>(h));
      },
      handler, b, std::forward<CompletionCondition>(c));
}

template <class AsyncReadStream, class MutableBufferSequence, class ReadHandler,
          detail::if_mutable_buffers<MutableBufferSequence> = 0>
auto async_read(AsyncReadStream& s, const MutableBufferSequence& b, ReadHandler&& handler)
{
  return async_read(s, b, transfer_all(), std::forward<ReadHandler>(handler));
}

// The dynamic buffer is copied into the operation; the container it refers to must
// outlive the operation.
template <class AsyncReadStream, class DynamicBuffer, class CompletionCondition,
          class ReadHandler, detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_read(AsyncReadStream& s, DynamicBuffer&& buffers, CompletionCondition&& c,
                ReadHandler&& handler)
{
  return async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
      [&s](auto&& h, auto&& buffers, auto&& c) {
        using H = decltype(h);
        detail::start_read_dynamic(s, std::forward<decltype(buffers)>(buffers),
                                   std::forward<decltype(c)>(c),
                                   std::forward<H>(h));
      },
      handler, std::forward<DynamicBuffer>(buffers), std::forward<CompletionCondition>(c));
}

template <class AsyncReadStream, class DynamicBuffer, class ReadHandler,
          detail::if_dynamic_buffer<DynamicBuffer> = 0>
auto async_read(AsyncReadStream& s, DynamicBuffer&& buffers, ReadHandler&& handler)
{
  return async_read(s, std::forward<DynamicBuffer>(buffers), transfer_all(),
             std::forward<ReadHandler>(handler));
}

template <class AsyncReadStream, class Allocator, class CompletionCondition, class ReadHandler>
auto async_read(AsyncReadStream& s, basic_streambuf<Allocator>& b, CompletionCondition&& c,
                ReadHandler&& handler)
{
  return async_read(s, basic_streambuf_ref<Allocator>(b), std::forward<CompletionCondition>(c),
             std::forward<ReadHandler>(handler));
}

template <class AsyncReadStream, class Allocator, class ReadHandler>
auto async_read(AsyncReadStream& s, basic_streambuf<Allocator>& b, ReadHandler&& handler)
{
  return async_read(s, basic_streambuf_ref<Allocator>(b), transfer_all(),
             std::forward<ReadHandler>(handler));
}

} // namespace blitz

#endif
