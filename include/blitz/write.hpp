// write / async_write: transfer until every byte is written or the condition says stop.
#ifndef BLITZ_WRITE_HPP
#define BLITZ_WRITE_HPP

#include <blitz/detail/composed_transfer.hpp>
#include <blitz/detail/throw_error.hpp>

namespace blitz {

template <class SyncWriteStream, class ConstBufferSequence, class CompletionCondition>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c,
                 boost::system::error_code& ec)
{
  return detail::composed_transfer<false>(s, b, std::forward<CompletionCondition>(c), ec);
}

template <class SyncWriteStream, class ConstBufferSequence>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, boost::system::error_code& ec)
{
  return write(s, b, transfer_all(), ec);
}

template <class SyncWriteStream, class ConstBufferSequence, class CompletionCondition,
          class = typename std::enable_if<!std::is_same<
              typename std::decay<CompletionCondition>::type, boost::system::error_code>::value>::type>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c)
{
  boost::system::error_code ec;
  std::size_t n = write(s, b, std::forward<CompletionCondition>(c), ec);
  detail::throw_error(ec, "write");
  return n;
}

template <class SyncWriteStream, class ConstBufferSequence>
std::size_t write(SyncWriteStream& s, const ConstBufferSequence& b)
{
  return write(s, b, transfer_all());
}

// handler(error_code, std::size_t total). Buffers must outlive the operation.
template <class AsyncWriteStream, class ConstBufferSequence, class CompletionCondition,
          class WriteHandler>
void async_write(AsyncWriteStream& s, const ConstBufferSequence& b, CompletionCondition&& c,
                WriteHandler&& handler)
{
  detail::start_composed_transfer<false>(s, b, std::forward<CompletionCondition>(c),
                                        std::forward<WriteHandler>(handler));
}

template <class AsyncWriteStream, class ConstBufferSequence, class WriteHandler>
void async_write(AsyncWriteStream& s, const ConstBufferSequence& b, WriteHandler&& handler)
{
  async_write(s, b, transfer_all(), std::forward<WriteHandler>(handler));
}

} // namespace blitz

#endif
