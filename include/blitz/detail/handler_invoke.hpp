// How a completed operation reaches its handler: directly, when the handler names no
// executor (the operation already completes on its io_context's thread), else through
// dispatch() on the handler's associated executor, so a handler bound to a strand runs
// inside that strand and one bound to another context runs there.
#ifndef BLITZ_DETAIL_HANDLER_INVOKE_HPP
#define BLITZ_DETAIL_HANDLER_INVOKE_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_executor.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

template <std::size_t... I>
struct index_seq
{
};
template <std::size_t N, std::size_t... I>
struct make_index_seq : make_index_seq<N - 1, N - 1, I...>
{
};
template <std::size_t... I>
struct make_index_seq<0, I...>
{
  using type = index_seq<I...>;
};

// A handler with its completion arguments, callable with none: what an executor runs.
template <class Handler, class... Args>
class bound_completion
{
public:
  template <class H, class... A>
  explicit bound_completion(H&& h, A&&... a)
    : handler_(std::forward<H>(h)), args_(std::forward<A>(a)...)
  {
  }

  void operator()() { call(typename make_index_seq<sizeof...(Args)>::type()); }

  using allocator_type = associated_allocator_t<Handler>;
  allocator_type get_allocator() const noexcept { return get_associated_allocator(handler_); }

private:
  template <std::size_t... I>
  void call(index_seq<I...>)
  {
    handler_(std::move(std::get<I>(args_))...);
  }

  Handler handler_;
  std::tuple<Args...> args_;
};

template <class Handler, class... Args>
void invoke_handler_on(std::true_type /*no associated executor*/, Handler& h, Args&&... args)
{
  h(std::forward<Args>(args)...);
}

template <class Handler, class... Args>
void invoke_handler_on(std::false_type, Handler& h, Args&&... args)
{
  auto ex = get_associated_executor(h);
  auto alloc = get_associated_allocator(h);
  ex.dispatch(bound_completion<Handler, typename std::decay<Args>::type...>(
                  std::move(h), std::forward<Args>(args)...),
              alloc);
}

template <class Handler, class... Args>
void invoke_handler(Handler& h, Args&&... args)
{
  invoke_handler_on(std::integral_constant<bool, !names_executor<Handler>::value>(), h,
                    std::forward<Args>(args)...);
}

// For handlers that run more than once (multishot operations): called in place when the
// handler names no executor; otherwise a copy goes to the executor, since the original must
// stay for the next result (such handlers must then be copyable).
template <class Handler, class... Args>
void invoke_handler_keep_on(std::true_type, Handler& h, Args&&... args)
{
  h(std::forward<Args>(args)...);
}

template <class Handler, class... Args>
void invoke_handler_keep_on(std::false_type, Handler& h, Args&&... args)
{
  Handler copy(h);
  invoke_handler_on(std::false_type(), copy, std::forward<Args>(args)...);
}

template <class Handler, class... Args>
void invoke_handler_keep(Handler& h, Args&&... args)
{
  invoke_handler_keep_on(std::integral_constant<bool, !names_executor<Handler>::value>(), h,
                         std::forward<Args>(args)...);
}

} // namespace detail
} // namespace blitz

#endif
