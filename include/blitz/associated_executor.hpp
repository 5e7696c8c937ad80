// associated_executor: the executor a handler wants to run on. A handler carrying an
// executor_type and get_executor() (bind_executor's binder, a strand-wrapped handler, a
// composed operation forwarding its caller's handler) names it; anything else runs on the
// executor of the object that started the operation.
#ifndef BLITZ_ASSOCIATED_EXECUTOR_HPP
#define BLITZ_ASSOCIATED_EXECUTOR_HPP

#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <class...>
struct void_t_impl
{
  using type = void;
};

template <class T, class = void>
struct has_executor_type : std::false_type
{
};
template <class T>
struct has_executor_type<T, typename void_t_impl<typename T::executor_type,
                                                 decltype(std::declval<const T&>().get_executor())>::type>
  : std::true_type
{
};

} // namespace detail

// The stand-in default when a handler names no executor: "wherever the operation's own
// executor runs it". Only its type matters.
struct default_completion_executor
{
};

template <class T, class Executor = default_completion_executor, class = void>
struct associated_executor
{
  using type = Executor;
  static type get(const T&, const Executor& ex = Executor()) noexcept { return ex; }
};

template <class T, class Executor>
struct associated_executor<T, Executor,
                           typename std::enable_if<detail::has_executor_type<T>::value>::type>
{
  using type = typename T::executor_type;
  static type get(const T& t, const Executor& = Executor()) noexcept { return t.get_executor(); }
};

template <class T, class Executor = default_completion_executor>
using associated_executor_t = typename associated_executor<T, Executor>::type;

template <class T>
associated_executor_t<T> get_associated_executor(const T& t) noexcept
{
  return associated_executor<T>::get(t);
}

template <class T, class Executor>
associated_executor_t<T, Executor> get_associated_executor(const T& t, const Executor& ex) noexcept
{
  return associated_executor<T, Executor>::get(t, ex);
}

namespace detail {

// Whether a handler names an executor of its own (else it runs where its operation completes).
template <class Handler>
struct names_executor
  : std::integral_constant<bool, !std::is_same<associated_executor_t<Handler>,
                                               default_completion_executor>::value>
{
};

} // namespace detail
} // namespace blitz

#endif
