// The end of a scheduler: its destruction, which destroys every handler still pending
// (I/O, timer and signal waits, posted handlers, waits parked on channels and async locks)
// without invoking it, and the registry of those parked waits. io_context::shutdown, the graceful
// end, is in graceful_shutdown.cpp.
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/backend.hpp>
#include <blitz/detail/signal_set_impl.hpp>
#include <blitz/error.hpp>

namespace blitz {
namespace detail {

scheduler::~scheduler() { abandon_all(); }

// Destruction: nothing may be invoked any more, everything pending is destroyed. Destroying
// a handler can destroy the objects it owned (sessions, sockets, timers), whose destructors
// call back into the scheduler and backend and may hand over more ops: loop until quiet.
void scheduler::abandon_all() noexcept
{
  {
    std::lock_guard<futex_mutex> lock(mutex_);
    stopped_.store(true, std::memory_order_relaxed);
  }
  backend_->shutdown();
  for (;;)
  {
    op_queue doomed;
    // Signal waits first: a signal another context delivers meanwhile finds no wait of
    // this one's to complete; one it completed before lands in inject_, taken below.
    signal_set_impl::abandon_waits(*this, doomed);
    {
      std::lock_guard<futex_mutex> lock(timer_mutex_);
      wheel_entry_list all;
      wheel_.take_all(all);
      note_wheel_changed();
      while (!all.empty())
      {
        timer_state& t = static_cast<timer_state&>(all.front());
        all.pop_front();
        take_waits(t, doomed, false);
      }
    }
    inject_.take_all(doomed);
    {
      std::lock_guard<futex_mutex> lock(mutex_);
      doomed.push(shared_);
    }
    {
      // Without the primitives' own locks: the context is being destroyed, and no object
      // using it may be in use meanwhile (as for every I/O object).
      std::lock_guard<std::mutex> lock(parked_mutex_);
      for (parked_waiters& w : parked_lists_)
        doomed.push(w.waiting);
    }
    if (doomed.empty())
      break;
    doomed.destroy_all();
    backend_->shutdown();
  }
  // Primitives that outlive the context (against the rules, but they used to survive it
  // when idle) must not reach back into it: unlinked, they skip release_parked.
  {
    std::lock_guard<std::mutex> lock(parked_mutex_);
    parked_lists_.clear();
  }
  signal_set_impl::orphan(*this);
}

void scheduler::adopt_parked(parked_waiters& w)
{
  std::lock_guard<std::mutex> lock(parked_mutex_);
  parked_lists_.push_back(w);
}

void scheduler::release_parked(parked_waiters& w) noexcept
{
  std::lock_guard<std::mutex> lock(parked_mutex_);
  parked_lists_.erase(parked_lists_.iterator_to(w));
}

} // namespace detail
} // namespace blitz
