// associated_cancellation_slot: where a handler wants its operation's cancellation wired.
#ifndef BLITZ_ASSOCIATED_CANCELLATION_SLOT_HPP
#define BLITZ_ASSOCIATED_CANCELLATION_SLOT_HPP

#include <blitz/associated_executor.hpp>
#include <blitz/cancellation_signal.hpp>

#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class T, class = void>
struct has_cancellation_slot_type : std::false_type
{
};
template <class T>
struct has_cancellation_slot_type<
    T, typename void_t_impl<typename T::cancellation_slot_type,
                            decltype(std::declval<const T&>().get_cancellation_slot())>::type>
  : std::true_type
{
};

} // namespace detail

template <class T, class Slot = cancellation_slot, class = void>
struct associated_cancellation_slot
{
  using type = Slot;
  static type get(const T&, const Slot& s = Slot()) noexcept { return s; }
};

template <class T, class Slot>
struct associated_cancellation_slot<
    T, Slot, typename std::enable_if<detail::has_cancellation_slot_type<T>::value>::type>
{
  using type = typename T::cancellation_slot_type;
  static type get(const T& t, const Slot& = Slot()) noexcept { return t.get_cancellation_slot(); }
};

template <class T, class Slot = cancellation_slot>
using associated_cancellation_slot_t = typename associated_cancellation_slot<T, Slot>::type;

template <class T>
associated_cancellation_slot_t<T> get_associated_cancellation_slot(const T& t) noexcept
{
  return associated_cancellation_slot<T>::get(t);
}

} // namespace blitz

#endif
