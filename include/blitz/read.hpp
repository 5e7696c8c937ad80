// read / async_read: transfer until the buffers are full or the condition says stop.
#ifndef BLITZ_READ_HPP
#define BLITZ_READ_HPP

#include <blitz/detail/composed_transfer.hpp>
#include <blitz/detail/throw_error.hpp>

namespace blitz {

template <class SyncReadStream, class MutableBufferSequence, class CompletionCondition>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  return detail::composed_transfer<true>(s, b, std::forward<CompletionCondition>(c), ec);
}

template <class SyncReadStream, class MutableBufferSequence>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, boost::system::error_code& ec)
{
  return read(s, b, transfer_all(), ec);
}

template <class SyncReadStream, class MutableBufferSequence, class CompletionCondition,
          class = typename std::enable_if<!std::is_same<
              typename std::decay<CompletionCondition>::type, boost::system::error_code>::value>::type>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = read(s, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "read");
  return n;
}

template <class SyncReadStream, class MutableBufferSequence>
std::size_t read(SyncReadStream& s, const MutableBufferSequence& b)
{
  return read(s, b, transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncReadStream, class MutableBufferSequence, class CompletionCondition,
          class ReadHandler>
void async_read(AsyncReadStream& s, const MutableBufferSequence& b, CompletionCondition&& c,
                ReadHandler&& handler)
{
  detail::start_composed_transfer<true>(s, b, std::forward<CompletionCondition>(c),
                                        std::forward<ReadHandler>(handler));
}

template <class AsyncReadStream, class MutableBufferSequence, class ReadHandler>
void async_read(AsyncReadStream& s, const MutableBufferSequence& b, ReadHandler&& handler)
{
  async_read(s, b, transfer_all(), std::forward<ReadHandler>(handler));
}

} // namespace blitz

#endif
