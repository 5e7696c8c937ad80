// associated_allocator: the allocator a handler wants its operation's state allocated
// with (Asio's custom-allocation pattern). Handlers without one use blitz-io's per-thread
// slab pool, which std::allocator<void> stands for.
#ifndef BLITZ_ASSOCIATED_ALLOCATOR_HPP
#define BLITZ_ASSOCIATED_ALLOCATOR_HPP

#include <blitz/associated_executor.hpp>

#include <memory>
#include <type_traits>

namespace blitz {
namespace detail {

template <class T, class = void>
struct has_allocator_type : std::false_type
{
};
template <class T>
struct has_allocator_type<T, typename void_t_impl<typename T::allocator_type,
                                                  decltype(std::declval<const T&>().get_allocator())>::type>
  : std::true_type
{
};

} // namespace detail

template <class T, class Allocator = std::allocator<void>, class = void>
struct associated_allocator
{
  using type = Allocator;
  static type get(const T&, const Allocator& a = Allocator()) noexcept { return a; }
};

template <class T, class Allocator>
struct associated_allocator<T, Allocator,
                            typename std::enable_if<detail::has_allocator_type<T>::value>::type>
{
  using type = typename T::allocator_type;
  static type get(const T& t, const Allocator& = Allocator()) noexcept { return t.get_allocator(); }
};

template <class T, class Allocator = std::allocator<void>>
using associated_allocator_t = typename associated_allocator<T, Allocator>::type;

template <class T>
associated_allocator_t<T> get_associated_allocator(const T& t) noexcept
{
  return associated_allocator<T>::get(t);
}

template <class T, class Allocator>
associated_allocator_t<T, Allocator> get_associated_allocator(const T& t, const Allocator& a) noexcept
{
  return associated_allocator<T, Allocator>::get(t, a);
}

} // namespace blitz

#endif
