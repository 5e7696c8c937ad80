// Associations for composed operations: an op that passes itself as the handler of each
// intermediate step (read_until, read/write into dynamic buffers, read_at/write_at) derives
// from composed_op_tag, names its caller's handler type as handler_type and exposes it as
// handler(). Its executor, allocator and cancellation slot are then those of the caller's
// handler, so the intermediate steps run where the final handler will (a strand, another
// context), allocate with what it asks for, and a cancellation emitted on the caller's slot
// aborts whichever step is pending (the composed op then completes with
// operation_aborted).
#ifndef BLITZ_DETAIL_COMPOSED_OP_HPP
#define BLITZ_DETAIL_COMPOSED_OP_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/cancellation_type.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/honoured_cancellation.hpp>

#include <type_traits>

namespace blitz {
namespace detail {

struct composed_op_tag
{
};

template <class T>
struct is_composed_op : std::is_base_of<composed_op_tag, T>
{
};

// A composed operation honours terminal and partial cancellation only, as Asio's do: a
// step that has already moved bytes cannot be undone, so `total` (cancel only if nothing
// has happened) never holds for the whole, and emitted on the caller's slot it is ignored
// while the transfer goes on. Specialised alike by the composed ops that do not derive
// composed_op_tag (composed_transfer_op, connect_op, composed_operation).
template <class H>
struct honoured_cancellation<H, typename std::enable_if<is_composed_op<H>::value>::type>
  : composed_honoured_cancellation<typename H::handler_type>
{
};

// A cancel_after deadline on the caller's handler bounds every step, as it does for
// async_read and async_write.
template <class T>
struct handler_deadline<T, typename std::enable_if<is_composed_op<T>::value>::type>
{
  static std::int64_t get(const T& o) noexcept
  {
    return handler_deadline<typename T::handler_type>::get(o.handler());
  }
};

} // namespace detail

template <class T, class Executor>
struct associated_executor<T, Executor,
                           typename std::enable_if<detail::is_composed_op<T>::value>::type>
{
  using handler_type = typename T::handler_type;
  using type = associated_executor_t<handler_type, Executor>;
  static type get(const T& o, const Executor& e = Executor()) noexcept
  {
    return associated_executor<handler_type, Executor>::get(o.handler(), e);
  }
};

template <class T, class Allocator>
struct associated_allocator<T, Allocator,
                            typename std::enable_if<detail::is_composed_op<T>::value>::type>
{
  using handler_type = typename T::handler_type;
  using type = associated_allocator_t<handler_type, Allocator>;
  static type get(const T& o, const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<handler_type, Allocator>::get(o.handler(), a);
  }
};

template <class T, class Slot>
struct associated_cancellation_slot<T, Slot,
                                    typename std::enable_if<detail::is_composed_op<T>::value>::type>
{
  using handler_type = typename T::handler_type;
  using type = associated_cancellation_slot_t<handler_type, Slot>;
  static type get(const T& o, const Slot& s = Slot()) noexcept
  {
    return associated_cancellation_slot<handler_type, Slot>::get(o.handler(), s);
  }
};

} // namespace blitz

#endif
