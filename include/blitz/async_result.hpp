// Completion tokens: what an asynchronous operation does with its last argument.
//
// Every initiating function of blitz-io hands its work to async_initiate together with the
// token it was given and the signature of its completion. async_result<Token, Signature>
// turns the token into a handler and decides what the initiating function returns:
//  - a handler (a lambda, a bound handler): the primary template passes it through, and
//    the function returns void; the initiation is called directly, so a plain handler costs
//    what it cost before tokens existed;
//  - use_future: a std::future (use_future.hpp);
//  - deferred: an operation object that starts when it is given a token (deferred.hpp);
//  - detached: a handler that drops the result (detached.hpp);
//  - a token inside bind_executor, bind_allocator, bind_cancellation_slot or cancel_after:
//    the handler that token makes, bound the same way (initiate_wrapped below);
//  - a token of the caller's own, by specialising async_result for it, as with Asio.
// Both customisation styles Asio has known work: the static initiate() of Asio 1.70 and
// later, and the older completion_handler_type / constructor / get() trio, which
// async_completion (for initiating functions written that way) uses.
#ifndef BLITZ_ASYNC_RESULT_HPP
#define BLITZ_ASYNC_RESULT_HPP

#include <type_traits>
#include <utility>

namespace blitz {

template <class CompletionToken, class... Signatures>
class async_result
{
public:
  using completion_handler_type = CompletionToken;
  using return_type = void;

  explicit async_result(completion_handler_type&) {}
  async_result(const async_result&) = delete;
  async_result& operator=(const async_result&) = delete;
  return_type get() {}

  template <class Initiation, class RawCompletionToken, class... Args>
  static return_type initiate(Initiation&& initiation, RawCompletionToken&& token, Args&&... args)
  {
    static_cast<Initiation&&>(initiation)(static_cast<RawCompletionToken&&>(token),
                                          static_cast<Args&&>(args)...);
  }
};

namespace detail {

// A specialisation written in the older style only (completion_handler_type, a constructor
// taking the handler, get()) has no initiate(): make the handler, start, then ask for the
// result, as Asio's async_completion did.
template <class Result, class Initiation, class Token, class... Args>
auto initiate_through(std::true_type, Initiation&& init, Token&& token, Args&&... args)
  -> decltype(Result::initiate(static_cast<Initiation&&>(init), static_cast<Token&&>(token),
                               static_cast<Args&&>(args)...))
{
  return Result::initiate(static_cast<Initiation&&>(init), static_cast<Token&&>(token),
                          static_cast<Args&&>(args)...);
}

template <class Result, class Initiation, class Token, class... Args>
typename Result::return_type initiate_through(std::false_type, Initiation&& init, Token&& token,
                                              Args&&... args)
{
  typename Result::completion_handler_type handler(static_cast<Token&&>(token));
  Result result(handler);
  static_cast<Initiation&&>(init)(std::move(handler), static_cast<Args&&>(args)...);
  return result.get();
}

// Whether Result::initiate(init, token, args...) is callable.
template <class Result, class Initiation, class Token, class ArgsList, class = void>
struct can_initiate : std::false_type
{
};
template <class... T>
struct type_list
{
};
template <class Result, class Initiation, class Token, class... Args>
struct can_initiate<Result, Initiation, Token, type_list<Args...>,
                    decltype((void)Result::initiate(std::declval<Initiation>(),
                                                    std::declval<Token>(),
                                                    std::declval<Args>()...))>
  : std::true_type
{
};

} // namespace detail

// Starts an operation: `initiation(handler, args...)` is called with the handler the token
// stands for, and what async_result says the initiating function returns is returned.
// CompletionToken is given explicitly, as the initiating function deduced it (`Token&&`);
// `token` is the function's parameter, forwarded from here as it was passed.
template <class CompletionToken, class... Signatures, class Initiation, class... Args>
auto async_initiate(Initiation&& initiation,
                    typename std::remove_reference<CompletionToken>::type& token, Args&&... args)
{
  using result = async_result<typename std::decay<CompletionToken>::type, Signatures...>;
  return detail::initiate_through<result>(
      detail::can_initiate<result, Initiation&&, CompletionToken&&, detail::type_list<Args&&...>>(),
      static_cast<Initiation&&>(initiation), static_cast<CompletionToken&&>(token),
      static_cast<Args&&>(args)...);
}

namespace detail {

// A token wrapped in a binder (bind_executor(strand, use_future), cancel_after(d, deferred)):
// the inner token makes the handler, and the binder is put back around that handler before
// the operation sees it. `rewrap(handler)` returns the wrapped handler.
template <class Initiation, class Rewrap>
class rewrapping_initiation
{
public:
  template <class I>
  rewrapping_initiation(I&& init, Rewrap rewrap)
    : init_(std::forward<I>(init)), rewrap_(std::move(rewrap))
  {
  }

  template <class Handler, class... Args>
  void operator()(Handler&& handler, Args&&... args)
  {
    std::move(init_)(rewrap_(std::forward<Handler>(handler)), std::forward<Args>(args)...);
  }

private:
  Initiation init_;
  Rewrap rewrap_;
};

template <class... Signatures, class Initiation, class Wrapper, class Rewrap, class... Args>
auto initiate_wrapped(Initiation&& init, Wrapper&& wrapper, Rewrap rewrap, Args&&... args)
{
  // The inner token, passed on as the wrapper was: an lvalue stays one, an rvalue moves.
  using inner = typename std::conditional<std::is_lvalue_reference<Wrapper>::value,
                                          decltype((wrapper.get())),
                                          typename std::decay<Wrapper>::type::target_type>::type;
  return async_initiate<inner, Signatures...>(
      rewrapping_initiation<typename std::decay<Initiation>::type, Rewrap>(
          std::forward<Initiation>(init), std::move(rewrap)),
      wrapper.get(), std::forward<Args>(args)...);
}

} // namespace detail

// The older way to write an initiating function, kept because Asio-era code is full of it:
//
//   async_completion<Token, void(error_code)> init(token);
//   start(std::move(init.completion_handler));
//   return init.result.get();
template <class CompletionToken, class Signature>
struct async_completion
{
  using completion_handler_type =
      typename async_result<typename std::decay<CompletionToken>::type,
                            Signature>::completion_handler_type;

  // A plain handler is used in place (a reference to the caller's token) when it can be,
  // so that moving it into the operation moves the caller's object, as in Asio.
  using handler_storage =
      typename std::conditional<std::is_same<CompletionToken, completion_handler_type>::value,
                                completion_handler_type&, completion_handler_type>::type;

  explicit async_completion(CompletionToken& token)
    : completion_handler(static_cast<typename std::conditional<
                             std::is_same<CompletionToken, completion_handler_type>::value,
                             completion_handler_type&, CompletionToken&&>::type>(token)),
      result(completion_handler)
  {
  }

  handler_storage completion_handler;
  async_result<typename std::decay<CompletionToken>::type, Signature> result;
};

} // namespace blitz

#endif
