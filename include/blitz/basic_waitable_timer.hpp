// basic_waitable_timer: Asio's timer over any chrono clock, kept in the context's timer
// wheel. A clock other than steady_clock can jump (system_clock is set by NTP or by hand):
// its timers come due by the timer's own clock, as in Asio. The wheel holds them for the
// time left by that clock, at most scheduler::clock_recheck_ns at a time, and asks the
// clock again whenever they come due, so a clock set forward past the expiry fires the
// timer within that interval and a clock set back delays it.
#ifndef BLITZ_BASIC_WAITABLE_TIMER_HPP
#define BLITZ_BASIC_WAITABLE_TIMER_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/timer_wait_op.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/io_context.hpp>
#include <blitz/wait_traits.hpp>

#include <chrono>
#include <cstdint>
#include <thread>
#include <type_traits>

namespace blitz {

template <class Clock, class WaitTraits = wait_traits<Clock>,
          class Executor = io_context::executor_type>
class basic_waitable_timer
{
public:
  using executor_type = Executor;
  using clock_type = Clock;
  using duration = typename Clock::duration;
  using time_point = typename Clock::time_point;
  using traits_type = WaitTraits;

  explicit basic_waitable_timer(io_context& ctx)
    : ex_(ctx.get_executor()), sched_(&ctx.impl()), expiry_()
  {
  }
  explicit basic_waitable_timer(const executor_type& ex)
    : ex_(ex), sched_(&ex.context().impl()), expiry_()
  {
  }
  basic_waitable_timer(io_context& ctx, const time_point& t) : basic_waitable_timer(ctx)
  {
    expiry_ = t;
  }
  basic_waitable_timer(io_context& ctx, const duration& d) : basic_waitable_timer(ctx)
  {
    expiry_ = Clock::now() + d;
  }
  basic_waitable_timer(const executor_type& ex, const time_point& t) : basic_waitable_timer(ex)
  {
    expiry_ = t;
  }
  basic_waitable_timer(const executor_type& ex, const duration& d) : basic_waitable_timer(ex)
  {
    expiry_ = Clock::now() + d;
  }
  basic_waitable_timer(const basic_waitable_timer&) = delete;
  basic_waitable_timer& operator=(const basic_waitable_timer&) = delete;

  // Pending waits move with the timer.
  basic_waitable_timer(basic_waitable_timer&& other)
    : ex_(other.ex_), sched_(other.sched_), expiry_(other.expiry_)
  {
    sched_->timer_move(state_, other.state_);
  }
  basic_waitable_timer& operator=(basic_waitable_timer&& other)
  {
    if (this != &other)
    {
      cancel();
      ex_ = other.ex_;
      sched_ = other.sched_;
      expiry_ = other.expiry_;
      sched_->timer_move(state_, other.state_);
    }
    return *this;
  }

  // Pending waits complete with operation_aborted.
  ~basic_waitable_timer() { sched_->timer_cancel(state_); }

  executor_type get_executor() const noexcept { return ex_; }

  // Returns how many waits were cancelled. A wait whose timer already expired has its
  // handler queued with success and is not counted.
  std::size_t cancel() { return sched_->timer_cancel(state_); }
  std::size_t cancel(boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return cancel();
  }
  std::size_t cancel_one() { return sched_->timer_cancel_one(state_); }
  std::size_t cancel_one(boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return cancel_one();
  }

  time_point expiry() const { return expiry_; }
  time_point expires_at() const { return expiry_; } // legacy
  duration expires_from_now() const { return expiry_ - Clock::now(); } // legacy

  // Setting the expiry cancels pending waits (returned count), as in Asio.
  std::size_t expires_at(const time_point& t)
  {
    std::size_t n = cancel();
    expiry_ = t;
    return n;
  }
  std::size_t expires_at(const time_point& t, boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return expires_at(t);
  }
  std::size_t expires_after(const duration& d) { return expires_at(saturating_add(Clock::now(), d)); }
  std::size_t expires_from_now(const duration& d) { return expires_after(d); } // legacy
  std::size_t expires_from_now(const duration& d, boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return expires_after(d);
  }

  void wait()
  {
    boost::system::error_code ec;
    wait(ec);
    detail::throw_error(ec, "wait");
  }
  void wait(boost::system::error_code& ec)
  {
    for (time_point now = Clock::now(); now < expiry_; now = Clock::now())
      std::this_thread::sleep_for(WaitTraits::to_wait_duration(expiry_));
    ec = boost::system::error_code();
  }

  // handler(error_code): success at expiry, operation_aborted if cancelled first (by
  // cancel(), a new expiry, or the handler's cancellation slot).
  template <class WaitHandler>
  auto async_wait(WaitHandler&& handler)
  {
    return async_initiate<WaitHandler, void(boost::system::error_code)>(
        [this](auto&& h) {
          using H = decltype(h);
          using op_t = detail::timer_wait_op<detail::decay_handler_t<H>>;
          op_t* o = detail::new_handler_op<op_t>(std::forward<H>(h));
          o->connect_cancellation(*sched_);
          this->schedule(o, std::is_same<Clock, std::chrono::steady_clock>());
        },
        handler);
  }

private:
  static time_point saturating_add(const time_point& t, const duration& d)
  {
    if (d > duration::zero() && t > (time_point::max)() - d)
      return (time_point::max)();
    if (d < duration::zero() && t < (time_point::min)() - d)
      return (time_point::min)();
    return t + d;
  }

  // steady_clock is CLOCK_MONOTONIC, the scheduler's own clock: no conversion, so two
  // timers with the same expiry get the same deadline and fire in arming order.
  void schedule(detail::timer_wait* o, std::true_type)
  {
    std::int64_t deadline = ceil_ns(expiry_.time_since_epoch());
    sched_->timer_schedule(state_, deadline < 0 ? 0 : deadline, o);
  }

  void schedule(detail::timer_wait* o, std::false_type)
  {
    sched_->timer_schedule(state_, &remaining_ns, ceil_ns(expiry_.time_since_epoch()), o);
  }

  // A duration as whole nanoseconds, rounded up (never early), saturated at both ends
  // (time_point::max() is "never"; negative counts only mean "already passed").
  static std::int64_t ceil_ns(const duration& d)
  {
    double ns = std::chrono::duration<double, std::nano>(d).count();
    if (ns >= 9.2e18)
      return INT64_MAX;
    if (ns <= -9.2e18)
      return INT64_MIN + 1;
    std::int64_t n = static_cast<std::int64_t>(ns);
    return static_cast<double>(n) < ns ? n + 1 : n;
  }

  // How long until the expiry stored as ceil_ns of its time since the epoch, by Clock and
  // the wait traits (which may shorten waits, as Asio's allow): what the scheduler asks
  // whenever the timer comes due.
  static std::int64_t remaining_ns(std::int64_t clock_expiry)
  {
    if (clock_expiry == INT64_MAX)
      return INT64_MAX;
    time_point expiry(std::chrono::duration_cast<duration>(std::chrono::nanoseconds(clock_expiry)));
    duration rel = WaitTraits::to_wait_duration(expiry);
    return rel <= duration::zero() ? 0 : ceil_ns(rel);
  }

  executor_type ex_;
  detail::scheduler* sched_;
  detail::timer_state state_;
  time_point expiry_;
};

} // namespace blitz

#endif
