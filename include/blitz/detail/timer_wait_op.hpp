// A timer's async_wait: its handler, and the hook that lets the handler's cancellation
// slot cancel this one wait, as Asio's timers allow (terminal, partial and total alike: a
// wait that has not fired has done nothing).
#ifndef BLITZ_DETAIL_TIMER_WAIT_OP_HPP
#define BLITZ_DETAIL_TIMER_WAIT_OP_HPP

#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/scheduler.hpp>

#include <utility>

namespace blitz {
namespace detail {

// What the slot holds while the wait is pending. The scheduler is kept here rather than in
// the op, which it would push into the next slab class (see timer_wait).
struct timer_wait_canceller
{
  scheduler* sched;
  timer_wait* w;
  cancellation_type honoured; // see honoured_cancellation: a step of a composed operation
  void operator()(cancellation_type t) const noexcept
  {
    if (!!(t & honoured))
      sched->timer_cancel_wait(*w);
  }
};

template <class Handler>
class timer_wait_op final : public timer_wait
{
public:
  template <class H>
  explicit timer_wait_op(H&& h)
    : timer_wait(&timer_wait_op::do_complete), handler_(std::forward<H>(h))
  {
  }

  // Before the wait is armed on s.
  void connect_cancellation(scheduler& s)
  {
    install_canceller(get_associated_cancellation_slot(handler_),
                      timer_wait_canceller{&s, this, honoured_cancellation<Handler>::value});
  }

private:
  static void do_complete(void* owner, op* base)
  {
    timer_wait_op* self = static_cast<timer_wait_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    // The slot stops pointing at this wait before its memory goes, invoked or destroyed.
    disconnect_cancellation(handler);
    boost::system::error_code ec = self->ec_;
    delete_op_with(self, alloc);
    if (owner)
      invoke_handler(handler, ec);
  }

  Handler handler_;
};

} // namespace detail
} // namespace blitz

#endif
