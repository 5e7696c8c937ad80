// Legacy io_context::strand (io_service::strand): post, dispatch, wrap.
//
// The same strand as strand<io_context::executor_type> (it is one underneath), with the
// pre-executor interface that Asio-era code uses: strand.post(h), strand.dispatch(h),
// strand.wrap(h), get_io_context(). It is also an executor itself, as in Asio 1.81, so
// bind_executor(strand, h) and post(strand, h) work with it.
#ifndef BLITZ_IO_CONTEXT_STRAND_HPP
#define BLITZ_IO_CONTEXT_STRAND_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/io_context.hpp>
#include <blitz/strand.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// What wrap() returns: calling it runs the handler inside the strand with the call's
// arguments. Its associated executor is the strand, so an operation completing into it
// dispatches onto the strand first, and the call then runs the handler in place.
template <class Dispatcher, class Handler>
class strand_wrapped_handler
{
public:
  using executor_type = Dispatcher;

  template <class H>
  strand_wrapped_handler(const Dispatcher& d, H&& h) : dispatcher_(d), handler_(std::forward<H>(h))
  {
  }

  executor_type get_executor() const noexcept { return dispatcher_; }
  const Handler& handler() const noexcept { return handler_; }

  template <class... Args>
  void operator()(Args&&... args)
  {
    if (dispatcher_.running_in_this_thread())
    {
      handler_(std::forward<Args>(args)...);
      return;
    }
    // Called from outside the strand: the handler runs later with copies of the arguments.
    // As in Asio the wrapper stays callable, so the handler is copied when it can be.
    dispatcher_.post(bound_completion<Handler, typename std::decay<Args>::type...>(
        take(std::is_copy_constructible<Handler>()), std::forward<Args>(args)...));
  }

private:
  const Handler& take(std::true_type) const noexcept { return handler_; }
  Handler&& take(std::false_type) noexcept { return std::move(handler_); }

  Dispatcher dispatcher_;
  Handler handler_;
};

} // namespace detail

template <class Dispatcher, class Handler, class Allocator>
struct associated_allocator<detail::strand_wrapped_handler<Dispatcher, Handler>, Allocator>
{
  using type = associated_allocator_t<Handler, Allocator>;
  static type get(const detail::strand_wrapped_handler<Dispatcher, Handler>& h,
                  const Allocator& a = Allocator()) noexcept
  {
    return associated_allocator<Handler, Allocator>::get(h.handler(), a);
  }
};

class io_context::strand
{
public:
  explicit strand(io_context& ctx) : impl_(ctx.get_executor()) {}

  io_context& context() const noexcept { return impl_.context(); }
  io_context& get_io_context() const noexcept { return impl_.context(); }
  io_context& get_io_service() const noexcept { return impl_.context(); }

  void on_work_started() const noexcept { impl_.on_work_started(); }
  void on_work_finished() const noexcept { impl_.on_work_finished(); }
  bool running_in_this_thread() const noexcept { return impl_.running_in_this_thread(); }

  // Queued on the strand; never runs inside this call.
  template <class F, class Alloc = std::allocator<void>>
  void post(F&& f, const Alloc& a = Alloc()) const
  {
    impl_.post(std::forward<F>(f), a);
  }
  template <class F, class Alloc = std::allocator<void>>
  void defer(F&& f, const Alloc& a = Alloc()) const
  {
    impl_.defer(std::forward<F>(f), a);
  }
  // Runs inside this call when the caller is already inside the strand, else queued.
  template <class F, class Alloc = std::allocator<void>>
  void dispatch(F&& f, const Alloc& a = Alloc()) const
  {
    impl_.dispatch(std::forward<F>(f), a);
  }
  template <class F>
  void execute(F&& f) const
  {
    impl_.execute(std::forward<F>(f));
  }

  template <class Handler>
  detail::strand_wrapped_handler<strand, typename std::decay<Handler>::type> wrap(Handler&& h) const
  {
    return detail::strand_wrapped_handler<strand, typename std::decay<Handler>::type>(
        *this, std::forward<Handler>(h));
  }

  friend bool operator==(const strand& a, const strand& b) noexcept { return a.impl_ == b.impl_; }
  friend bool operator!=(const strand& a, const strand& b) noexcept { return a.impl_ != b.impl_; }

private:
  friend struct detail::raw_op_executor<strand>;
  blitz::strand<io_context::executor_type> impl_;
};

namespace detail {

template <>
struct raw_op_executor<io_context::strand> : std::true_type
{
  static void post(const io_context::strand& s, dual_op* o)
  {
    raw_op_executor<blitz::strand<io_context::executor_type>>::post(s.impl_, o);
  }
  static bool running_in_this_thread(const io_context::strand& s) noexcept
  {
    return s.running_in_this_thread();
  }
};

} // namespace detail
} // namespace blitz

#endif
