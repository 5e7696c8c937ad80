// signal_set: wait for POSIX signals as asynchronous completions (Asio's basic_signal_set).
//
// Every set that added a signal receives each occurrence of it, whichever io_context the set
// belongs to. An occurrence that finds no async_wait pending on a set is queued there and
// completes that set's next async_wait at once (posted). Adding the first set's handler for
// a signal replaces the signal's disposition; removing the last restores the previous one.
// How delivery works is described in libs/sync/signal_set.cpp.
#ifndef BLITZ_SIGNAL_SET_HPP
#define BLITZ_SIGNAL_SET_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/signal_set_impl.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>

#include <memory>
#include <utility>

namespace blitz {
namespace detail {

// What a handler's cancellation slot holds while its signal wait is pending: every type
// cancels (a wait that has not completed has done nothing), as with Asio's signal_set,
// unless the handler is a step of a composed operation that honours fewer.
struct signal_wait_canceller
{
  signal_wait_op* o;
  cancellation_type honoured; // see honoured_cancellation
  void operator()(cancellation_type t) const noexcept
  {
    if (!!(t & honoured))
      signal_set_impl::cancel_wait(o);
  }
};

template <class Handler>
class signal_op final : public signal_wait_op
{
public:
  template <class H>
  explicit signal_op(H&& h) : signal_wait_op(&signal_op::do_complete), handler_(std::forward<H>(h))
  {
  }

  // Before the wait starts.
  void connect_cancellation()
  {
    install_canceller(get_associated_cancellation_slot(handler_),
                      signal_wait_canceller{this, honoured_cancellation<Handler>::value});
  }

private:
  static void do_complete(void* owner, op* base)
  {
    signal_op* self = static_cast<signal_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    // The slot stops pointing at this wait before its memory goes, invoked or destroyed.
    disconnect_cancellation(handler);
    boost::system::error_code ec = self->ec_;
    int signo = self->signo_;
    delete_op_with(self, alloc);
    if (owner)
      invoke_handler(handler, ec, signo);
  }

  Handler handler_;
};

} // namespace detail

template <class Executor = io_context::executor_type>
class basic_signal_set
{
public:
  using executor_type = Executor;

  explicit basic_signal_set(io_context& ctx)
    : ex_(ctx.get_executor()), impl_(new detail::signal_set_impl(ctx.impl()))
  {
  }
  explicit basic_signal_set(const executor_type& ex)
    : ex_(ex), impl_(new detail::signal_set_impl(ex.context().impl()))
  {
  }
  basic_signal_set(io_context& ctx, int signal_number_1) : basic_signal_set(ctx)
  {
    add(signal_number_1);
  }
  basic_signal_set(io_context& ctx, int signal_number_1, int signal_number_2)
    : basic_signal_set(ctx)
  {
    add(signal_number_1);
    add(signal_number_2);
  }
  basic_signal_set(io_context& ctx, int signal_number_1, int signal_number_2,
                   int signal_number_3)
    : basic_signal_set(ctx)
  {
    add(signal_number_1);
    add(signal_number_2);
    add(signal_number_3);
  }
  basic_signal_set(const executor_type& ex, int signal_number_1) : basic_signal_set(ex)
  {
    add(signal_number_1);
  }
  basic_signal_set(const executor_type& ex, int signal_number_1, int signal_number_2)
    : basic_signal_set(ex)
  {
    add(signal_number_1);
    add(signal_number_2);
  }
  basic_signal_set(const executor_type& ex, int signal_number_1, int signal_number_2,
                   int signal_number_3)
    : basic_signal_set(ex)
  {
    add(signal_number_1);
    add(signal_number_2);
    add(signal_number_3);
  }
  basic_signal_set(const basic_signal_set&) = delete;
  basic_signal_set& operator=(const basic_signal_set&) = delete;

  // Removes every signal; pending waits complete with operation_aborted.
  ~basic_signal_set() = default;

  executor_type get_executor() const noexcept { return ex_; }

  // Adding a signal already in the set does nothing. invalid_argument for numbers out of
  // range and for SIGKILL and SIGSTOP, which cannot be caught.
  void add(int signal_number)
  {
    boost::system::error_code ec;
    add(signal_number, ec);
    detail::throw_error(ec, "add");
  }
  void add(int signal_number, boost::system::error_code& ec) { impl_->add(signal_number, ec); }

  // Removing a signal not in the set does nothing. Occurrences queued for it are dropped.
  void remove(int signal_number)
  {
    boost::system::error_code ec;
    remove(signal_number, ec);
    detail::throw_error(ec, "remove");
  }
  void remove(int signal_number, boost::system::error_code& ec)
  {
    impl_->remove(signal_number, ec);
  }

  void clear()
  {
    boost::system::error_code ec;
    clear(ec);
    detail::throw_error(ec, "clear");
  }
  void clear(boost::system::error_code& ec) { impl_->clear(ec); }

  // Pending waits complete with operation_aborted; queued occurrences stay queued.
  void cancel()
  {
    boost::system::error_code ec;
    cancel(ec);
    detail::throw_error(ec, "cancel");
  }
  void cancel(boost::system::error_code& ec) { impl_->cancel(ec); }

  // handler(const error_code&, int signal_number).
  template <class SignalHandler>
  auto async_wait(SignalHandler&& handler)
  {
    return async_initiate<SignalHandler, void(boost::system::error_code, int)>(
        [this](auto&& h) {
          using H = decltype(h);
          using op_t = detail::signal_op<detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          o->connect_cancellation();
          this->impl_->start_wait(o);
        },
        handler);
  }

private:
  Executor ex_;
  // Registered process-wide by address, so it stays put.
  std::unique_ptr<detail::signal_set_impl> impl_;
};

using signal_set = basic_signal_set<>;

} // namespace blitz

#endif
