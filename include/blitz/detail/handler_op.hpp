// Ops that carry a user handler. The completion function moves the handler (and the
// result) out, returns the op's memory to the slab pool, and only then invokes: the handler
// can start its next operation in the very block this one used, and an exception thrown by
// the handler cannot leak the op.
#ifndef BLITZ_DETAIL_HANDLER_OP_HPP
#define BLITZ_DETAIL_HANDLER_OP_HPP

#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/detail/composed_op.hpp>
#include <blitz/detail/handler_deadline.hpp>
#include <blitz/detail/handler_invoke.hpp>
#include <blitz/detail/io_op.hpp>
#include <blitz/detail/op.hpp>
#include <blitz/detail/slab_pool.hpp>

#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// The handler of an I/O op, placed ahead of the op as its first base: a small handler then
// shares the op's first cache line, and a transfer's handler and the members it touches
// fit in three or four lines (see io_op's member order). As a member after the op it took
// lines of its own, one more cache miss per completion at 256 connections.
template <class Handler>
struct handler_first
{
  template <class H>
  explicit handler_first(H&& h) : handler_(std::forward<H>(h))
  {
  }
  Handler handler_;
};

// A posted handler: invoked with no arguments.
template <class Handler>
class post_op final : public op
{
public:
  template <class H>
  explicit post_op(H&& h) : op(&post_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    post_op* self = static_cast<post_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    delete_op_with(self, alloc);
    if (owner)
      handler();
  }

  Handler handler_;
};

// A timer wait or any op whose handler takes only an error_code.
template <class Handler>
class ec_op final : public result_op
{
public:
  template <class H>
  explicit ec_op(H&& h) : result_op(&ec_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    ec_op* self = static_cast<ec_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    delete_op_with(self, alloc);
    if (owner)
      invoke_handler(handler, ec);
  }

  Handler handler_;
};

template <class Handler>
using decay_handler_t = typename std::decay<Handler>::type;

// What a handler's cancellation slot holds while its I/O operation is pending.
struct io_op_canceller
{
  io_op* o;
  cancellation_type honoured; // see honoured_cancellation
  void operator()(cancellation_type t) const noexcept
  {
    if (!!(t & honoured))
      o->cancel();
  }
};

// Puts an operation's canceller into its handler's slot, if that is blitz-io's own slot and
// connected. Custom slot types are not wired (blitz-io's own slot is what
// bind_cancellation_slot and cancel_after use).
template <class Canceller>
void install_canceller(const cancellation_slot& slot, const Canceller& c)
{
  if (slot.is_connected())
    cancellation_slot(slot).emplace<Canceller>(c);
}
template <class Slot, class Canceller>
void install_canceller(const Slot&, const Canceller&)
{
}

inline void connect_cancellation_to(const cancellation_slot& slot, io_op* o,
                                    cancellation_type honoured, std::true_type)
{
  install_canceller(slot, io_op_canceller{o, honoured});
}
// Ops that are not I/O (posted handlers) have nothing to cancel; timer and signal waits
// connect their own cancellers (timer_wait_op, signal_op).
template <class Slot, class Op>
void connect_cancellation_to(const Slot&, Op*, cancellation_type, std::false_type)
{
}

template <class Handler, class Slot, class Op>
void connect_cancellation(const Slot& slot, Op* o)
{
  connect_cancellation_to(slot, o, honoured_cancellation<Handler>::value,
                          std::integral_constant<bool, std::is_base_of<io_op, Op>::value &&
                                                           std::is_same<Slot, cancellation_slot>::value>());
}

// Called by an op's completion (or destruction) with the handler moved out of it: the slot
// must stop pointing at the op before anything else can emit.
template <class Handler>
void disconnect_cancellation(const Handler& h) noexcept
{
  auto slot = get_associated_cancellation_slot(h);
  slot.clear();
}

inline void set_op_deadline(io_op* o, std::int64_t deadline_ns, std::true_type) noexcept
{
  o->set_deadline(deadline_ns);
}
template <class Op>
void set_op_deadline(Op*, std::int64_t, std::false_type) noexcept
{
}

// Allocates and constructs an op carrying handler h (moved or copied in as the op's last
// constructor argument), with h's associated allocator, and connects it to h's
// cancellation slot.
template <class Op, class Handler, class... Args>
Op* new_handler_op(Handler&& h, Args&&... args)
{
  auto alloc = get_associated_allocator(h);
  auto slot = get_associated_cancellation_slot(h);
  std::int64_t deadline = handler_deadline<typename std::decay<Handler>::type>::get(h);
  Op* o = new_op_with<Op>(alloc, std::forward<Args>(args)..., std::forward<Handler>(h));
  connect_cancellation<typename std::decay<Handler>::type>(slot, o);
  if (deadline >= 0)
    set_op_deadline(o, deadline, std::is_base_of<io_op, Op>());
  return o;
}

} // namespace detail
} // namespace blitz

#endif
