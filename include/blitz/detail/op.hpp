// The unit of pending work: every posted handler, timer wait and I/O operation is one `op`.
//
// An op is a type-erased, intrusively linked object. The derived template (see
// completion_op.hpp) stores the user's handler; the base stores only what the scheduler and
// the backends need: a hook, the function that completes or destroys it, and the result.
// A single function pointer serves both completion and destruction (owner == nullptr means
// "destroy without invoking"), which keeps the base at three words plus the result.
#ifndef BLITZ_DETAIL_OP_HPP
#define BLITZ_DETAIL_OP_HPP

#include <boost/intrusive/slist.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>

namespace blitz {
namespace detail {

class op
  : public boost::intrusive::slist_base_hook<
        boost::intrusive::link_mode<boost::intrusive::normal_link>>
{
public:
  // owner: the scheduler running the op, or nullptr to destroy it without invoking.
  using func_type = void (*)(void* owner, op* self);

  // Runs the handler (or destroys it when owner is nullptr). The op's memory is released
  // before the handler is invoked, so `this` is dangling after the call.
  void complete(void* owner) { func_(owner, this); }
  void destroy() { func_(nullptr, this); }

  // Link used only while the op sits in a scheduler's lock-free inject stack, where the
  // intrusive hook cannot serve (that stack is not a boost::intrusive container).
  op* inject_next_ = nullptr;

protected:
  explicit op(func_type f) noexcept : func_(f) {}
  ~op() = default;

private:
  func_type func_;
};

// An op that completes with a result (timer waits, I/O): posted handlers do without, which
// keeps the most frequent op at three words plus the handler.
class result_op : public op
{
public:
  boost::system::error_code ec_;
  std::size_t bytes_ = 0;

protected:
  explicit result_op(func_type f) noexcept : op(f) {}
  ~result_op() = default;
};

} // namespace detail
} // namespace blitz

#endif
