// The cancellation types an operation honours, by the type of its handler. Wrappers that
// forward a handler (binders, composed operations) narrow or forward what it honours.
#ifndef BLITZ_DETAIL_HONOURED_CANCELLATION_HPP
#define BLITZ_DETAIL_HONOURED_CANCELLATION_HPP

#include <blitz/cancellation_type.hpp>

namespace blitz {
namespace detail {

// Elementary operations honour every type. A composed operation honours terminal and
// partial only, as Asio's do (see composed_op.hpp), and no more than the handler it
// completes: a step of an async_compose operation (terminal only) is a composed read whose
// handler is that operation's `self`.
template <class H, class = void>
struct honoured_cancellation
{
  static constexpr cancellation_type value = cancellation_type::all;
};

// For wrappers exposing the wrapped handler's type as target_type (the binders).
template <class Wrapper>
struct forwarded_honoured_cancellation
{
  static constexpr cancellation_type value =
      honoured_cancellation<typename Wrapper::target_type>::value;
};

// A composed operation completing Handler.
template <class Handler>
struct composed_honoured_cancellation
{
  static constexpr cancellation_type value =
      (cancellation_type::terminal | cancellation_type::partial) &
      honoured_cancellation<Handler>::value;
};

} // namespace detail
} // namespace blitz

#endif
