// deferred: the completion token that makes an initiating function return the operation
// itself, not yet started. Giving the returned object a completion token starts it:
//
//   auto wait = timer.async_wait(blitz::deferred); // nothing armed yet
//   std::move(wait)([](error_code ec) { ... });     // the wait starts here
//
// The initiating function's arguments are copied into the object (buffers are views, so
// the memory they name must still outlive the operation); objects an operation writes its
// result into (a sender endpoint, a streambuf) and the I/O object itself are referred to,
// as with any asynchronous operation. Chaining deferred operations with `|` and
// deferred's function-object forms (Asio 1.82 and later) are not provided.
#ifndef BLITZ_DEFERRED_HPP
#define BLITZ_DEFERRED_HPP

#include <blitz/async_result.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {

struct deferred_t
{
  constexpr deferred_t() = default;
};

constexpr deferred_t deferred;

template <class Signature, class Initiation, class... Args>
class deferred_async_operation
{
public:
  template <class I, class... A>
  explicit deferred_async_operation(int, I&& initiation, A&&... args)
    : initiation_(std::forward<I>(initiation)), args_(std::forward<A>(args)...)
  {
  }

  // Starts the operation with `token`, returning what async_result says for it. Consumes
  // the stored arguments: call it once, on an rvalue.
  template <class CompletionToken>
  auto operator()(CompletionToken&& token) &&
  {
    return start(token, std::index_sequence_for<Args...>());
  }

private:
  template <class CompletionToken, std::size_t... I>
  auto start(CompletionToken& token, std::index_sequence<I...>)
  {
    return async_initiate<CompletionToken&&, Signature>(
        std::move(initiation_), token, std::get<I>(std::move(args_))...);
  }

  Initiation initiation_;
  std::tuple<Args...> args_;
};

template <class Signature>
class async_result<deferred_t, Signature>
{
public:
  template <class Initiation, class RawToken, class... Args>
  static deferred_async_operation<Signature, typename std::decay<Initiation>::type,
                                  typename std::decay<Args>::type...>
  initiate(Initiation&& initiation, RawToken&&, Args&&... args)
  {
    return deferred_async_operation<Signature, typename std::decay<Initiation>::type,
                                    typename std::decay<Args>::type...>(
        0, std::forward<Initiation>(initiation), std::forward<Args>(args)...);
  }
};

} // namespace blitz

#endif
