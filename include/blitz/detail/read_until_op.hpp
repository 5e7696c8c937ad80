// The engine behind read_until / async_read_until, independent of what is searched for.
//
// A Searcher is called as `search(data, from)` with the buffer's current data() and the
// offset where a match could still begin (bytes before it were ruled out by earlier
// calls). It returns the length of the data up to and including the match, or no_match
// after advancing `from` past what can never be part of a match (a partial match at the
// end of the data keeps `from` at its start, so a delimiter split across two reads is
// found once the rest arrives).
//
// Each round: search; stop on a match; stop with error::not_found when the buffer is at its
// max_size(); otherwise read_some into fresh space and search again. Bytes after the match
// stay in the buffer for the next call, as in Asio.
#ifndef BLITZ_DETAIL_READ_UNTIL_OP_HPP
#define BLITZ_DETAIL_READ_UNTIL_OP_HPP

#include <blitz/detail/composed_op.hpp>
#include <blitz/dynamic_buffer.hpp>
#include <blitz/error.hpp>

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <utility>

namespace blitz {
namespace detail {

constexpr std::size_t no_match = static_cast<std::size_t>(-1);

template <class SyncReadStream, class DynamicBuffer, class Searcher>
std::size_t read_until_loop(SyncReadStream& s, DynamicBuffer& b, Searcher& search,
                            boost::system::error_code& ec)
{
  std::size_t from = 0;
  for (;;)
  {
    // Kept in a named object: a multi-buffer data() must outlive the search iterators.
    const typename DynamicBuffer::const_buffers_type data = b.data();
    const std::size_t end = search(data, from);
    if (end != no_match)
    {
      ec = boost::system::error_code();
      return end;
    }
    if (b.size() >= b.max_size())
    {
      ec = error::not_found;
      return 0;
    }
    const std::size_t n = s.read_some(b.prepare(dynamic_read_size(b)), ec);
    b.commit(n);
    if (ec)
      return 0;
    // A read that brings nothing into a non-empty buffer without an error can never make
    // progress; a stream reports its end as eof, so that is what this is.
    if (n == 0)
    {
      ec = error::eof;
      return 0;
    }
  }
}

template <class AsyncReadStream, class DynamicBuffer, class Searcher, class Handler>
class read_until_op : public composed_op_tag
{
public:
  using handler_type = Handler;

  template <class B, class H>
  read_until_op(AsyncReadStream& s, B&& b, Searcher search, H&& h)
    : stream_(&s), buffers_(std::forward<B>(b)), search_(std::move(search)),
      handler_(std::forward<H>(h))
  {
  }

  // Always starts one read_some, zero-length when the data already holds a match (or the
  // buffer is full): its posted completion keeps the handler from running inside the
  // initiating call, as Asio guarantees.
  void start()
  {
    const std::size_t n = evaluate();
    stream_->async_read_some(buffers_.prepare(n), std::move(*this));
  }

  void operator()(const boost::system::error_code& ec, std::size_t n)
  {
    buffers_.commit(n);
    if (state_ != searching)
    {
      finish(ec);
      return;
    }
    if (ec || n == 0)
    {
      finish(ec ? ec : boost::system::error_code(error::eof));
      return;
    }
    const std::size_t next = evaluate();
    if (state_ == searching)
    {
      stream_->async_read_some(buffers_.prepare(next), std::move(*this));
      return;
    }
    finish(boost::system::error_code());
  }

  const Handler& handler() const noexcept { return handler_; }

private:
  enum state_type
  {
    searching,
    found,
    full
  };

  // Searches the data; returns how much to read next when there is no verdict yet.
  std::size_t evaluate()
  {
    const typename DynamicBuffer::const_buffers_type data = buffers_.data();
    const std::size_t end = search_(data, from_);
    if (end != no_match)
    {
      state_ = found;
      match_end_ = end;
      return 0;
    }
    if (buffers_.size() >= buffers_.max_size())
    {
      state_ = full;
      return 0;
    }
    state_ = searching;
    return dynamic_read_size(buffers_);
  }

  // Asio's results: the match length on success; 0 with not_found when the buffer filled
  // up first; 0 with the stream's error (the data read so far stays in the buffer).
  void finish(const boost::system::error_code& ec)
  {
    if (state_ == full)
    {
      handler_(boost::system::error_code(error::not_found), std::size_t(0));
      return;
    }
    const std::size_t n = (ec || state_ != found) ? 0 : match_end_;
    handler_(ec, n);
  }

  AsyncReadStream* stream_;
  DynamicBuffer buffers_;
  Searcher search_;
  std::size_t from_ = 0;
  std::size_t match_end_ = 0;
  state_type state_ = searching;
  Handler handler_;
};

template <class AsyncReadStream, class DynamicBuffer, class Searcher, class Handler>
void start_read_until(AsyncReadStream& s, DynamicBuffer&& b, Searcher search, Handler&& h)
{
  read_until_op<AsyncReadStream, typename std::decay<DynamicBuffer>::type, Searcher,
                typename std::decay<Handler>::type>(s, std::forward<DynamicBuffer>(b),
                                                    std::move(search), std::forward<Handler>(h))
      .start();
}

} // namespace detail
} // namespace blitz

#endif
