// The absolute deadline a handler carries for its operation (cancel_after), or -1. Wrappers
// that forward a handler (binders, composed operations) forward its deadline too.
#ifndef BLITZ_DETAIL_HANDLER_DEADLINE_HPP
#define BLITZ_DETAIL_HANDLER_DEADLINE_HPP

#include <cstdint>

namespace blitz {

template <class Handler>
class cancel_after_handler;

namespace detail {

// The second parameter lets a family of wrappers (composed_op_tag) forward as a group.
template <class T, class = void>
struct handler_deadline
{
  static std::int64_t get(const T&) noexcept { return -1; }
};

template <class H>
struct handler_deadline<cancel_after_handler<H>>
{
  static std::int64_t get(const cancel_after_handler<H>& h) noexcept { return h.deadline_ns(); }
};

// For wrappers exposing the wrapped handler as get().
template <class Wrapper>
struct forwarded_handler_deadline
{
  static std::int64_t get(const Wrapper& w) noexcept
  {
    using inner = typename Wrapper::target_type;
    return handler_deadline<inner>::get(w.get());
  }
};

} // namespace detail
} // namespace blitz

#endif
