// connect / async_connect over several endpoints (a resolver's results, a vector, an
// iterator pair): each endpoint in turn, the socket closed before every attempt, until
// one connects (Asio's free connect functions).
//
//   auto ep = blitz::connect(socket, resolver.resolve("localhost", "8080"));
//   blitz::async_connect(socket, results, [](error_code ec, const tcp::endpoint& ep) {});
//
// Results: the endpoint (range forms) or iterator (iterator forms) that connected. When
// none did, the last attempt's error; error::not_found when there was nothing to try (an
// empty range, or a condition that rejected everything). A connect condition,
// bool(const error_code& last_error, const endpoint& next), can skip endpoints.
#ifndef BLITZ_CONNECT_HPP
#define BLITZ_CONNECT_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_socket.hpp>
#include <blitz/detail/connect_op.hpp>
#include <blitz/detail/throw_error.hpp>

#include <type_traits>
#include <utility>

namespace blitz {

// Whether T is a range of endpoints (has begin() and end()), which picks the range
// overloads over the iterator ones.
template <class T, class = void>
struct is_endpoint_sequence : std::false_type
{
};
template <class T>
struct is_endpoint_sequence<T, typename detail::connect_void<
                                   decltype(std::declval<const T&>().begin()),
                                   decltype(std::declval<const T&>().end())>::type>
  : std::true_type
{
};

// Iterator pairs.
template <class Protocol, class Executor, class Iterator, class ConnectCondition>
Iterator connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end,
                 ConnectCondition cond, boost::system::error_code& ec)
{
  ec = boost::system::error_code();
  for (Iterator it = begin; it != end; ++it)
  {
    it = detail::next_candidate(cond, ec, it, end);
    if (it == end)
      break;
    s.close(ec);
    s.connect(typename Protocol::endpoint(*it), ec);
    if (!ec)
      return it;
  }
  if (!ec)
    ec = error::not_found;
  return end;
}

template <class Protocol, class Executor, class Iterator, class ConnectCondition>
Iterator connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end,
                 ConnectCondition cond)
{
  boost::system::error_code ec;
  Iterator r = connect(s, begin, end, cond, ec);
  detail::throw_error(ec, "connect");
  return r;
}

template <class Protocol, class Executor, class Iterator>
Iterator connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end,
                 boost::system::error_code& ec)
{
  return connect(s, begin, end, default_connect_condition(), ec);
}

template <class Protocol, class Executor, class Iterator>
Iterator connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end)
{
  return connect(s, begin, end, default_connect_condition());
}

// Ranges.
template <class Protocol, class Executor, class EndpointSequence, class ConnectCondition>
typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value,
                        typename Protocol::endpoint>::type
connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints,
        ConnectCondition cond, boost::system::error_code& ec)
{
  auto end = endpoints.end();
  auto it = connect(s, endpoints.begin(), end, cond, ec);
  return ec || it == end ? typename Protocol::endpoint() : typename Protocol::endpoint(*it);
}

template <class Protocol, class Executor, class EndpointSequence>
typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value,
                        typename Protocol::endpoint>::type
connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints,
        boost::system::error_code& ec)
{
  return connect(s, endpoints, default_connect_condition(), ec);
}

template <class Protocol, class Executor, class EndpointSequence, class ConnectCondition>
typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value &&
                            !std::is_same<ConnectCondition, boost::system::error_code>::value,
                        typename Protocol::endpoint>::type
connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints,
        ConnectCondition cond)
{
  boost::system::error_code ec;
  typename Protocol::endpoint r = connect(s, endpoints, cond, ec);
  detail::throw_error(ec, "connect");
  return r;
}

template <class Protocol, class Executor, class EndpointSequence>
typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value,
                        typename Protocol::endpoint>::type
connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints)
{
  return connect(s, endpoints, default_connect_condition());
}

// handler(error_code, const Protocol::endpoint&).
template <class Protocol, class Executor, class EndpointSequence, class ConnectCondition,
          class RangeConnectHandler,
          typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value, int>::type = 0>
auto async_connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints,
                   ConnectCondition cond, RangeConnectHandler&& handler)
{
  return async_initiate<RangeConnectHandler,
                        void(boost::system::error_code, typename Protocol::endpoint)>(
      [&s](auto&& h, const EndpointSequence& endpoints, ConnectCondition cond) {
        using range_t = detail::owned_sequence<EndpointSequence>;
        using op_t = detail::connect_op<basic_socket<Protocol, Executor>, range_t, ConnectCondition,
                                        typename std::decay<decltype(h)>::type, false>;
        op_t(s, range_t{endpoints}, std::move(cond), std::forward<decltype(h)>(h)).start();
      },
      handler, endpoints, std::move(cond));
}

template <class Protocol, class Executor, class EndpointSequence, class RangeConnectHandler,
          typename std::enable_if<is_endpoint_sequence<EndpointSequence>::value, int>::type = 0>
auto async_connect(basic_socket<Protocol, Executor>& s, const EndpointSequence& endpoints,
                   RangeConnectHandler&& handler)
{
  return async_connect(s, endpoints, default_connect_condition(),
                std::forward<RangeConnectHandler>(handler));
}

// handler(error_code, Iterator): end when nothing connected.
template <class Protocol, class Executor, class Iterator, class ConnectCondition,
          class IteratorConnectHandler>
auto async_connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end,
                   ConnectCondition cond, IteratorConnectHandler&& handler)
{
  return async_initiate<IteratorConnectHandler, void(boost::system::error_code, Iterator)>(
      [&s](auto&& h, Iterator begin, Iterator end, ConnectCondition cond) {
        using range_t = detail::iterator_pair<Iterator>;
        using op_t = detail::connect_op<basic_socket<Protocol, Executor>, range_t, ConnectCondition,
                                        typename std::decay<decltype(h)>::type, true>;
        op_t(s, range_t{begin, end}, std::move(cond), std::forward<decltype(h)>(h)).start();
      },
      handler, begin, end, std::move(cond));
}

template <class Protocol, class Executor, class Iterator, class IteratorConnectHandler,
          typename std::enable_if<!is_endpoint_sequence<Iterator>::value, int>::type = 0>
auto async_connect(basic_socket<Protocol, Executor>& s, Iterator begin, Iterator end,
                   IteratorConnectHandler&& handler)
{
  return async_connect(s, begin, end, default_connect_condition(),
                std::forward<IteratorConnectHandler>(handler));
}

} // namespace blitz

#endif
