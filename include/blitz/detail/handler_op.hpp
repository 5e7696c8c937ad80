// Ops that carry a user handler. The completion function moves the handler (and the
// result) out, returns the op's memory to the slab pool, and only then invokes: the handler
// can start its next operation in the very block this one used, and an exception thrown by
// the handler cannot leak the op.
#ifndef BLITZ_DETAIL_HANDLER_OP_HPP
#define BLITZ_DETAIL_HANDLER_OP_HPP

#include <blitz/detail/op.hpp>
#include <blitz/detail/slab_pool.hpp>

#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

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
    Handler handler(std::move(self->handler_));
    delete_op(self);
    if (owner)
      handler();
  }

  Handler handler_;
};

// A timer wait or any op whose handler takes only an error_code.
template <class Handler>
class ec_op final : public op
{
public:
  template <class H>
  explicit ec_op(H&& h) : op(&ec_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    ec_op* self = static_cast<ec_op*>(base);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    delete_op(self);
    if (owner)
      handler(ec);
  }

  Handler handler_;
};

template <class Handler>
using decay_handler_t = typename std::decay<Handler>::type;

} // namespace detail
} // namespace blitz

#endif
