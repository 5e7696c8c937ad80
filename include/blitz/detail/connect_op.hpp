// The machinery behind connect()/async_connect() over several endpoints: connect
// conditions (current and legacy forms) and the composed asynchronous operation.
//
// The asynchronous form is the handler of each socket.async_connect it starts (Asio's
// composed-op pattern), so trying n endpoints costs n connect ops and nothing else. Its
// state machine, one step per attempt:
//
//   start ──> pick next candidate (condition) ──none──> post handler(not_found)
//                  │ found
//                  v
//            close socket, async_connect ──> ok ─────────────> handler(success, that one)
//                  ^                     ──> socket closed ──> handler(operation_aborted)
//                  │                     ──> aborted ────────> handler(operation_aborted)
//                  └──── error: advance; no candidate left ──> handler(last error)
#ifndef BLITZ_DETAIL_CONNECT_OP_HPP
#define BLITZ_DETAIL_CONNECT_OP_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/detail/composed_op.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/error.hpp>

#include <boost/system/error_code.hpp>
#include <iterator>
#include <type_traits>
#include <utility>

namespace blitz {

// The condition used when none is given: try every endpoint.
struct default_connect_condition
{
  template <class Endpoint>
  bool operator()(const boost::system::error_code&, const Endpoint&) const noexcept
  {
    return true;
  }
};

namespace detail {

template <class...>
struct connect_void
{
  using type = void;
};

// A legacy condition (Asio before 1.66) takes the next iterator and returns the one to try
// (or end); a current one takes the next endpoint and returns whether to try it.
template <class Cond, class Iterator, class = void>
struct is_legacy_connect_condition : std::false_type
{
};
template <class Cond, class Iterator>
struct is_legacy_connect_condition<
    Cond, Iterator,
    typename connect_void<decltype(std::declval<Cond&>()(
        std::declval<const boost::system::error_code&>(), std::declval<const Iterator&>()))>::type>
  : std::is_same<typename std::decay<decltype(std::declval<Cond&>()(
                     std::declval<const boost::system::error_code&>(),
                     std::declval<const Iterator&>()))>::type,
                 Iterator>
{
};

// The first candidate at or after next that the condition accepts, or end. ec is the
// previous attempt's result, as the condition's first argument.
template <class Cond, class Iterator>
Iterator next_candidate(Cond& cond, const boost::system::error_code& ec, Iterator next,
                        Iterator end, std::true_type /*legacy*/)
{
  return next != end ? Iterator(cond(ec, next)) : end;
}

template <class Cond, class Iterator>
Iterator next_candidate(Cond& cond, const boost::system::error_code& ec, Iterator next,
                        Iterator end, std::false_type)
{
  for (; next != end; ++next)
    if (cond(ec, *next))
      return next;
  return end;
}

template <class Cond, class Iterator>
Iterator next_candidate(Cond& cond, const boost::system::error_code& ec, Iterator next,
                        Iterator end)
{
  return next_candidate(cond, ec, next, end, is_legacy_connect_condition<Cond, Iterator>());
}

// The range form keeps its own copy of the endpoint sequence (the caller's may be a
// temporary); the iterator form keeps the two iterators.
template <class Sequence>
struct owned_sequence
{
  Sequence seq;
  using iterator = decltype(std::declval<const Sequence&>().begin());
  iterator begin() const { return seq.begin(); }
  iterator end() const { return seq.end(); }
};

template <class Iterator>
struct iterator_pair
{
  Iterator first;
  Iterator last;
  using iterator = Iterator;
  iterator begin() const { return first; }
  iterator end() const { return last; }
};

// ReportIterator: the handler takes the iterator that connected (iterator form), else the
// endpoint (range form).
template <class Socket, class Range, class Cond, class Handler, bool ReportIterator>
class connect_op
{
  using iterator = typename Range::iterator;
  using endpoint_type = typename Socket::endpoint_type;

public:
  template <class H>
  connect_op(Socket& s, Range r, Cond c, H&& h)
    : socket_(&s), range_(std::move(r)), cond_(std::move(c)), handler_(std::forward<H>(h))
  {
  }

  void start() { step(boost::system::error_code(), true); }

  // One attempt finished.
  void operator()(const boost::system::error_code& ec) { step(ec, false); }

  const Handler& handler() const noexcept { return handler_; }

private:
  void step(boost::system::error_code ec, bool first)
  {
    // An index, not an iterator, survives the op being moved along with its own copy of
    // the sequence (a std::array's iterators would not).
    const iterator begin = range_.begin();
    const iterator end = range_.end();
    iterator it = begin;
    std::advance(it, index_);
    if (!first)
    {
      // The caller closed the socket between attempts: the whole operation is over, as
      // in Asio. A cancel() or an emitted cancellation slot ends it too (Asio moves on to
      // the next endpoint after socket.cancel(), which makes cancel() unable to stop a
      // multi-endpoint connect).
      if (!socket_->is_open() || ec == error::operation_aborted)
        return finish(error::operation_aborted, end, end);
      if (!ec)
        return finish(ec, it, end);
      ++it;
    }
    it = next_candidate(cond_, ec, it, end);
    index_ = static_cast<std::size_t>(std::distance(begin, it));
    if (it != end)
    {
      boost::system::error_code ignored;
      socket_->close(ignored);
      socket_->async_connect(endpoint_type(*it), std::move(*this));
      return;
    }
    if (first)
    {
      // Nothing to try: not_found, but never from inside the initiating call.
      auto ex = socket_->get_executor();
      ex.post([self = std::move(*this)]() mutable {
        self.finish(error::not_found, self.range_.end(), self.range_.end());
      });
      return;
    }
    finish(ec, end, end); // every candidate failed: the last failure
  }

  void finish(const boost::system::error_code& ec, iterator it, iterator end)
  {
    report(ec, it, end, std::integral_constant<bool, ReportIterator>());
  }
  void report(const boost::system::error_code& ec, iterator it, iterator, std::true_type)
  {
    invoke_handler(handler_, ec, it);
  }
  void report(const boost::system::error_code& ec, iterator it, iterator end, std::false_type)
  {
    invoke_handler(handler_, ec, ec || it == end ? endpoint_type() : endpoint_type(*it));
  }

  Socket* socket_;
  Range range_;
  Cond cond_;
  Handler handler_;
  std::size_t index_ = 0;
};

} // namespace detail

// Each attempt completes where, and allocates with what, the caller's handler asks.
template <class Socket, class Range, class Cond, class Handler, bool R, class Executor>
struct associated_executor<detail::connect_op<Socket, Range, Cond, Handler, R>, Executor>
{
  using type = associated_executor_t<Handler, Executor>;
  static type get(const detail::connect_op<Socket, Range, Cond, Handler, R>& o,
                  const Executor& e = Executor()) noexcept
  {
    return associated_executor<Handler, Executor>::get(o.handler(), e);
  }
};

template <class Socket, class Range, class Cond, class Handler, bool R, class Allocator>
struct associated_allocator<detail::connect_op<Socket, Range, Cond, Handler, R>, Allocator>
{
  using type = associated_allocator_t<Handler, Allocator>;
  static type get(const detail::connect_op<Socket, Range, Cond, Handler, R>& o,
                  const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<Handler, Allocator>::get(o.handler(), a);
  }
};

// The caller's cancellation slot reaches each attempt: emitting it aborts the attempt in
// flight, which ends the whole operation with operation_aborted.
template <class Socket, class Range, class Cond, class Handler, bool R, class Slot>
struct associated_cancellation_slot<detail::connect_op<Socket, Range, Cond, Handler, R>, Slot>
{
  using type = associated_cancellation_slot_t<Handler, Slot>;
  static type get(const detail::connect_op<Socket, Range, Cond, Handler, R>& o,
                  const Slot& s = Slot()) noexcept
  {
    return associated_cancellation_slot<Handler, Slot>::get(o.handler(), s);
  }
};

namespace detail {

// Terminal and partial only, as for every composed op (see honoured_cancellation): an
// attempt that failed has already closed and reopened the socket.
template <class Socket, class Range, class Cond, class Handler, bool R>
struct honoured_cancellation<connect_op<Socket, Range, Cond, Handler, R>>
  : composed_honoured_cancellation<Handler>
{
};

// A cancel_after deadline bounds every attempt.
template <class Socket, class Range, class Cond, class Handler, bool R>
struct handler_deadline<connect_op<Socket, Range, Cond, Handler, R>>
{
  static std::int64_t get(const connect_op<Socket, Range, Cond, Handler, R>& o) noexcept
  {
    return handler_deadline<Handler>::get(o.handler());
  }
};

} // namespace detail
} // namespace blitz

#endif
