// cancellation_signal / cancellation_slot: per-operation cancellation (Asio's model).
//
// The signal owns storage for one handler; an operation about to wait connects to the
// signal's slot by emplacing a small handler that knows how to cancel it, and clears the
// slot when it completes. emit() calls that handler. Like Asio, neither side is
// thread-safe: emit on the executor the operation runs on.
//
// The handler storage is reused across operations when the next handler fits (every
// blitz-io operation installs the same small canceller), so a loop of cancellable reads
// allocates once.
#ifndef BLITZ_CANCELLATION_SIGNAL_HPP
#define BLITZ_CANCELLATION_SIGNAL_HPP

#include <blitz/cancellation_type.hpp>
#include <blitz/detail/slab_pool.hpp>

#include <cstddef>
#include <new>
#include <utility>

namespace blitz {

class cancellation_slot;

namespace detail {

// Type-erased handler living in a cancellation_signal's storage.
struct cancellation_handler_base
{
  virtual void call(cancellation_type t) = 0;
  // Destroys the object in place; the signal keeps its storage for the next handler.
  virtual void destroy() noexcept = 0;

protected:
  ~cancellation_handler_base() = default;
};

template <class Handler>
struct cancellation_handler final : cancellation_handler_base
{
  template <class... Args>
  explicit cancellation_handler(Args&&... args) : handler(std::forward<Args>(args)...)
  {
  }
  void call(cancellation_type t) override { handler(t); }
  void destroy() noexcept override { this->~cancellation_handler(); }
  Handler handler;
};

// What a slot points at: the signal's one installed handler and its storage.
struct cancellation_state
{
  cancellation_handler_base* handler = nullptr;
  void* memory = nullptr;
  std::size_t memory_size = 0;
};

} // namespace detail

class cancellation_signal
{
public:
  cancellation_signal() = default;
  cancellation_signal(const cancellation_signal&) = delete;
  cancellation_signal& operator=(const cancellation_signal&) = delete;
  ~cancellation_signal()
  {
    if (state_.handler)
      state_.handler->destroy();
    if (state_.memory)
      detail::slab_deallocate(state_.memory, state_.memory_size);
  }

  // Invokes the installed handler, if any (the operation then completes with
  // operation_aborted, or with its real result if it had already finished).
  void emit(cancellation_type t)
  {
    if (state_.handler)
      state_.handler->call(t);
  }

  cancellation_slot slot() noexcept;

private:
  detail::cancellation_state state_;
};

class cancellation_slot
{
public:
  cancellation_slot() noexcept = default;

  template <class CancellationHandler, class... Args>
  CancellationHandler& emplace(Args&&... args)
  {
    using node = detail::cancellation_handler<CancellationHandler>;
    clear();
    if (state_->memory_size < sizeof(node))
    {
      if (state_->memory)
        detail::slab_deallocate(state_->memory, state_->memory_size);
      state_->memory = nullptr;
      state_->memory = detail::slab_allocate(sizeof(node));
      state_->memory_size = sizeof(node);
    }
    node* n = new (state_->memory) node(std::forward<Args>(args)...);
    state_->handler = n;
    return n->handler;
  }

  template <class CancellationHandler>
  CancellationHandler& assign(CancellationHandler&& h)
  {
    return emplace<typename std::decay<CancellationHandler>::type>(
        std::forward<CancellationHandler>(h));
  }

  void clear() noexcept
  {
    if (state_ && state_->handler)
    {
      state_->handler->destroy();
      state_->handler = nullptr;
    }
  }

  bool is_connected() const noexcept { return state_ != nullptr; }
  bool has_handler() const noexcept { return state_ && state_->handler; }

  friend bool operator==(const cancellation_slot& a, const cancellation_slot& b) noexcept
  {
    return a.state_ == b.state_;
  }
  friend bool operator!=(const cancellation_slot& a, const cancellation_slot& b) noexcept
  {
    return a.state_ != b.state_;
  }

private:
  friend class cancellation_signal;
  explicit cancellation_slot(detail::cancellation_state* s) noexcept : state_(s) {}
  detail::cancellation_state* state_ = nullptr;
};

inline cancellation_slot cancellation_signal::slot() noexcept { return cancellation_slot(&state_); }

} // namespace blitz

#endif
