// use_future: the completion token that makes an initiating function return a std::future.
//
//   std::future<std::size_t> n = socket.async_read_some(buf, blitz::use_future);
//
// The future holds what the handler would have received after its error code (nothing:
// future<void>; one value: future<T>; several: future<std::tuple<...>>). A failed operation
// (a non-zero error_code, or a non-null exception_ptr first argument) stores the error
// instead, and get() throws it: boost::system::system_error for an error_code. The promise
// is fulfilled on the thread that runs the operation's completion, so get() must be called
// from a thread other than the one running the io_context.
#ifndef BLITZ_USE_FUTURE_HPP
#define BLITZ_USE_FUTURE_HPP

#include <blitz/async_result.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <future>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace blitz {

template <class Allocator = std::allocator<void>>
class use_future_t
{
public:
  using allocator_type = Allocator;
  constexpr use_future_t() = default;
  explicit use_future_t(const Allocator& a) : allocator_(a) {}
  // The promise's shared state is allocated with `a` (Asio's use_future[a]).
  template <class Other>
  use_future_t<Other> operator[](const Other& a) const
  {
    return use_future_t<Other>(a);
  }
  allocator_type get_allocator() const { return allocator_; }

private:
  Allocator allocator_{};
};

// const at namespace scope, hence one per translation unit: Asio's own C++14 spelling.
constexpr use_future_t<> use_future;

namespace detail {

template <class... Values>
struct future_value
{
  using type = std::tuple<Values...>;
};
template <>
struct future_value<>
{
  using type = void;
};
template <class Value>
struct future_value<Value>
{
  using type = Value;
};

// The promise behind a future, and how a completion's values fulfil it.
// Allocator: use_future[a]'s, which also allocates the operation (get_allocator).
template <class Value, class Allocator>
class promise_base
{
public:
  using allocator_type = Allocator;

  explicit promise_base(const use_future_t<Allocator>& token)
    : allocator_(token.get_allocator()),
      promise_(std::allocate_shared<std::promise<Value>>(allocator_, std::allocator_arg, allocator_))
  {
  }

  allocator_type get_allocator() const noexcept { return allocator_; }

  std::future<Value> get_future() { return promise_->get_future(); }

protected:
  void fail(std::exception_ptr e) { promise_->set_exception(std::move(e)); }
  template <class V = Value>
  typename std::enable_if<std::is_void<V>::value>::type set()
  {
    promise_->set_value();
  }
  template <class A>
  void set(A&& a)
  {
    promise_->set_value(std::forward<A>(a));
  }
  template <class A, class B, class... C>
  void set(A&& a, B&& b, C&&... c)
  {
    promise_->set_value(Value(std::forward<A>(a), std::forward<B>(b), std::forward<C>(c)...));
  }

private:
  Allocator allocator_;
  // Shared, not owned: an operation may copy its handler (a strand's wrap does).
  std::shared_ptr<std::promise<Value>> promise_;
};

// Head: what the completion passes first, when it reports failure that way (error_code,
// exception_ptr), or void when every argument is a value.
template <class Value, class Head, class Allocator>
class promise_handler : public promise_base<Value, Allocator>
{
public:
  using promise_base<Value, Allocator>::promise_base;
  template <class... A>
  void operator()(A&&... a)
  {
    this->set(std::forward<A>(a)...);
  }
};
template <class Value, class Allocator>
class promise_handler<Value, boost::system::error_code, Allocator>
  : public promise_base<Value, Allocator>
{
public:
  using promise_base<Value, Allocator>::promise_base;
  template <class... A>
  void operator()(const boost::system::error_code& ec, A&&... a)
  {
    if (ec)
      this->fail(std::make_exception_ptr(boost::system::system_error(ec)));
    else
      this->set(std::forward<A>(a)...);
  }
};
template <class Value, class Allocator>
class promise_handler<Value, std::exception_ptr, Allocator> : public promise_base<Value, Allocator>
{
public:
  using promise_base<Value, Allocator>::promise_base;
  template <class... A>
  void operator()(std::exception_ptr e, A&&... a)
  {
    if (e)
      this->fail(std::move(e));
    else
      this->set(std::forward<A>(a)...);
  }
};

template <class Signature>
struct future_signature;
template <class... Args>
struct future_signature<void(Args...)>
{
  using head = void;
  using value_type = typename future_value<typename std::decay<Args>::type...>::type;
};
template <class... Args>
struct future_signature<void(boost::system::error_code, Args...)>
{
  using head = boost::system::error_code;
  using value_type = typename future_value<typename std::decay<Args>::type...>::type;
};
template <class... Args>
struct future_signature<void(const boost::system::error_code&, Args...)>
  : future_signature<void(boost::system::error_code, Args...)>
{
};
template <class... Args>
struct future_signature<void(std::exception_ptr, Args...)>
{
  using head = std::exception_ptr;
  using value_type = typename future_value<typename std::decay<Args>::type...>::type;
};

} // namespace detail

template <class Allocator, class Signature>
class async_result<use_future_t<Allocator>, Signature>
{
public:
  using value_type = typename detail::future_signature<Signature>::value_type;
  using completion_handler_type =
      detail::promise_handler<value_type, typename detail::future_signature<Signature>::head,
                              Allocator>;
  using return_type = std::future<value_type>;

  explicit async_result(completion_handler_type& h) : future_(h.get_future()) {}
  return_type get() { return std::move(future_); }

  template <class Initiation, class RawToken, class... Args>
  static return_type initiate(Initiation&& initiation, RawToken&& token, Args&&... args)
  {
    completion_handler_type handler(token);
    return_type f = handler.get_future();
    static_cast<Initiation&&>(initiation)(std::move(handler), static_cast<Args&&>(args)...);
    return f;
  }

private:
  return_type future_;
};

} // namespace blitz

#endif
