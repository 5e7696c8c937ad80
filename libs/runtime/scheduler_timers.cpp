// The scheduler's timers: one wheel of timer_state entries, each with the waits queued on
// it; what basic_waitable_timer arms, cancels and moves, what the reaper expires (reap), and
// what shutdown cancels. Guarded by timer_mutex_ (lock order in scheduler.hpp).
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/backend.hpp>
#include <blitz/error.hpp>

namespace blitz {
namespace detail {

// timer_mutex_ held.
void scheduler::expire_timers(op_queue& ready, std::int64_t now)
{
  wheel_entry_list expired;
  wheel_.expire(now, expired);
  while (!expired.empty())
  {
    timer_state& t = static_cast<timer_state&>(expired.front());
    expired.pop_front();
    if (t.remaining_ns)
    {
      // Its own clock decides: set back (or never reached by the steady estimate), the
      // expiry is still ahead, and the entry waits again.
      std::int64_t left = t.remaining_ns(t.clock_expiry);
      if (left > 0)
      {
        t.deadline_ns = recheck_deadline(now, left);
        wheel_.insert(t);
        continue;
      }
    }
    // Waits complete with success: a cancel() that comes after this point finds nothing,
    // as in Asio, where a handler already queued runs with its original result.
    take_waits(t, ready, false);
    ++timers_fired_;
  }
  note_wheel_changed();
}

std::int64_t scheduler::recheck_deadline(std::int64_t now, std::int64_t left) noexcept
{
  // An expiry the clock can never reach (time_point::max(), pos_infin) sits in the wheel
  // like a steady timer's "never" instead of being looked at every second.
  if (left == INT64_MAX)
    return INT64_MAX;
  return now + (left < clock_recheck_ns ? left : clock_recheck_ns);
}

void scheduler::timer_schedule(timer_state& t, std::int64_t deadline_ns, timer_wait* wait)
{
  arm_timer(t, deadline_ns, nullptr, 0, wait);
}

void scheduler::timer_schedule(timer_state& t, std::int64_t (*remaining_ns)(std::int64_t),
                               std::int64_t clock_expiry, timer_wait* wait)
{
  std::int64_t left = remaining_ns(clock_expiry);
  std::int64_t now = now_ns();
  arm_timer(t, left <= 0 ? now : recheck_deadline(now, left), remaining_ns, clock_expiry, wait);
}

void scheduler::arm_timer(timer_state& t, std::int64_t deadline_ns,
                          std::int64_t (*remaining_ns)(std::int64_t), std::int64_t clock_expiry,
                          timer_wait* wait)
{
  work_started();
  bool interrupt = false;
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    if (!t.linked())
    {
      t.deadline_ns = deadline_ns;
      t.remaining_ns = remaining_ns;
      t.clock_expiry = clock_expiry;
      wheel_.insert(t);
      note_wheel_changed();
    }
    t.waiters.push(wait);
    wait->timer = &t;
    // A reaper is (about to be) asleep until reaper_wake_ns_: an earlier deadline must wake
    // it, whichever thread arms it (this thread cannot be that reaper: it is not in reap).
    interrupt = deadline_ns < reaper_wake_ns_;
  }
  if (interrupt)
  {
    std::unique_lock<futex_mutex> lock(mutex_);
    if (reaper_waiting_)
    {
      lock.unlock();
      backend_->interrupt();
    }
  }
}

std::size_t scheduler::timer_cancel(timer_state& t)
{
  op_queue cancelled;
  std::size_t n = 0;
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    if (t.linked())
    {
      wheel_.remove(t);
      note_wheel_changed();
    }
    n = take_waits(t, cancelled, true);
  }
  post_completions(cancelled);
  return n;
}

std::size_t scheduler::take_waits(timer_state& t, op_queue& to, bool aborted) noexcept
{
  std::size_t n = 0;
  while (!t.waiters.empty())
  {
    // Only timer waits wait on a timer (arm_timer).
    timer_wait* w = static_cast<timer_wait*>(t.waiters.pop());
    w->timer = nullptr;
    if (aborted)
      w->ec_ = boost::system::error_code(error::operation_aborted);
    to.push(w);
    ++n;
  }
  return n;
}

void scheduler::timer_cancel_wait(timer_wait& w)
{
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    timer_state* t = w.timer;
    if (!t || !t->waiters.erase(&w))
      return; // already fired or cancelled: its completion stands
    w.timer = nullptr;
    if (t->waiters.empty() && t->linked())
    {
      wheel_.remove(*t);
      note_wheel_changed();
    }
  }
  w.ec_ = boost::system::error_code(error::operation_aborted);
  post_completion(&w);
}

std::size_t scheduler::timer_cancel_one(timer_state& t)
{
  op* o = nullptr;
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    if (t.waiters.empty())
      return 0;
    o = t.waiters.pop();
    static_cast<timer_wait*>(o)->timer = nullptr;
    if (t.waiters.empty() && t.linked())
    {
      wheel_.remove(t);
      note_wheel_changed();
    }
  }
  static_cast<timer_wait*>(o)->ec_ = boost::system::error_code(error::operation_aborted);
  post_completion(o);
  return 1;
}

void scheduler::timer_move(timer_state& to, timer_state& from)
{
  std::lock_guard<futex_mutex> lock(timer_mutex_);
  if (to.linked())
    wheel_.remove(to);
  if (from.linked())
  {
    to.deadline_ns = from.deadline_ns;
    to.remaining_ns = from.remaining_ns;
    to.clock_expiry = from.clock_expiry;
    wheel_.replace(from, to); // its waits keep their turn among equal deadlines
  }
  note_wheel_changed();
  op_queue moving;
  take_waits(from, moving, false);
  while (!moving.empty())
  {
    timer_wait* w = static_cast<timer_wait*>(moving.pop());
    w->timer = &to;
    to.waiters.push(w);
  }
}

std::size_t scheduler::cancel_timers()
{
  op_queue aborted;
  std::size_t n = 0;
  {
    std::lock_guard<futex_mutex> lock(timer_mutex_);
    wheel_entry_list all;
    wheel_.take_all(all); // not expire(INT64_MAX), which would make every later timer due
    note_wheel_changed();
    while (!all.empty())
    {
      timer_state& t = static_cast<timer_state&>(all.front());
      all.pop_front();
      n += take_waits(t, aborted, true);
    }
  }
  post_completions(aborted);
  return n;
}

} // namespace detail
} // namespace blitz
