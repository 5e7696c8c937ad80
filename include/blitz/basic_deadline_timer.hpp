// basic_deadline_timer: Asio's legacy timer on Boost.DateTime times (deadline_timer is the
// posix_time::ptime one), for code written before chrono timers.
//
// It is a basic_waitable_timer on an adapter clock that reads TimeTraits::now(), so it
// shares the wheel, the cancellation rules and the handling of clocks that can be set: a
// ptime deadline follows UTC as Asio's does, and a clock set forward past the expiry fires
// it within scheduler::clock_recheck_ns. The adapter counts microseconds (posix_time's
// resolution) from the first time it is read, which needs nothing of the time type but the
// traits Asio already requires (now, add, subtract, less_than, to_posix_duration).
#ifndef BLITZ_BASIC_DEADLINE_TIMER_HPP
#define BLITZ_BASIC_DEADLINE_TIMER_HPP

#include <blitz/async_result.hpp>
#include <blitz/basic_waitable_timer.hpp>
#include <blitz/time_traits.hpp>

#include <boost/date_time/posix_time/posix_time_types.hpp>

#include <chrono>
#include <cstdint>
#include <thread>

namespace blitz {
namespace detail {

template <class TimeTraits>
struct deadline_clock
{
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::microseconds;
  using time_point = std::chrono::time_point<deadline_clock, duration>;
  static constexpr bool is_steady = false;

  static time_point now() { return to_time_point(TimeTraits::now()); }

  // Infinities stay infinite: pos_infin never comes due, neg_infin and not_a_date_time
  // (a timer never given an expiry) already have.
  static time_point to_time_point(const typename TimeTraits::time_type& t)
  {
    boost::posix_time::time_duration d =
        TimeTraits::to_posix_duration(TimeTraits::subtract(t, origin()));
    if (d.is_pos_infinity())
      return (time_point::max)();
    if (d.is_special())
      return (time_point::min)();
    // Rounded up to the microsecond (never early) when the time type is finer.
    std::int64_t ticks = d.ticks();
    std::int64_t per_us = d.ticks_per_second() / 1000000;
    if (per_us <= 1)
      return time_point(duration(d.total_microseconds()));
    std::int64_t us = ticks / per_us;
    if (ticks > 0 && ticks % per_us != 0)
      ++us;
    return time_point(duration(us));
  }

private:
  static const typename TimeTraits::time_type& origin()
  {
    static const typename TimeTraits::time_type t = TimeTraits::now();
    return t;
  }
};

} // namespace detail

template <class Time, class TimeTraits = time_traits<Time>,
          class Executor = io_context::executor_type>
class basic_deadline_timer
{
  using clock = detail::deadline_clock<TimeTraits>;
  using timer = basic_waitable_timer<clock, wait_traits<clock>, Executor>;

public:
  using executor_type = Executor;
  using traits_type = TimeTraits;
  using time_type = typename TimeTraits::time_type;
  using duration_type = typename TimeTraits::duration_type;

  // With no expiry given, expires_at() is time_type() (not_a_date_time for ptime) and a
  // wait completes at once.
  explicit basic_deadline_timer(io_context& ctx) : timer_(ctx), expiry_() { sync(); }
  explicit basic_deadline_timer(const executor_type& ex) : timer_(ex), expiry_() { sync(); }
  basic_deadline_timer(io_context& ctx, const time_type& t) : timer_(ctx), expiry_(t) { sync(); }
  basic_deadline_timer(const executor_type& ex, const time_type& t) : timer_(ex), expiry_(t)
  {
    sync();
  }
  basic_deadline_timer(io_context& ctx, const duration_type& d)
    : timer_(ctx), expiry_(TimeTraits::add(TimeTraits::now(), d))
  {
    sync();
  }
  basic_deadline_timer(const executor_type& ex, const duration_type& d)
    : timer_(ex), expiry_(TimeTraits::add(TimeTraits::now(), d))
  {
    sync();
  }

  // Pending waits move with the timer.
  basic_deadline_timer(basic_deadline_timer&&) = default;
  basic_deadline_timer& operator=(basic_deadline_timer&&) = default;

  executor_type get_executor() const noexcept { return timer_.get_executor(); }

  std::size_t cancel() { return timer_.cancel(); }
  std::size_t cancel(boost::system::error_code& ec) { return timer_.cancel(ec); }
  std::size_t cancel_one() { return timer_.cancel_one(); }
  std::size_t cancel_one(boost::system::error_code& ec) { return timer_.cancel_one(ec); }

  time_type expires_at() const { return expiry_; }
  duration_type expires_from_now() const
  {
    return TimeTraits::subtract(expiry_, TimeTraits::now());
  }

  // Setting the expiry cancels pending waits (returned count), as in Asio.
  std::size_t expires_at(const time_type& t)
  {
    expiry_ = t;
    return timer_.expires_at(clock::to_time_point(t));
  }
  std::size_t expires_at(const time_type& t, boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return expires_at(t);
  }
  std::size_t expires_from_now(const duration_type& d)
  {
    return expires_at(TimeTraits::add(TimeTraits::now(), d));
  }
  std::size_t expires_from_now(const duration_type& d, boost::system::error_code& ec)
  {
    ec = boost::system::error_code();
    return expires_from_now(d);
  }

  // Blocks until the expiry by TimeTraits (forever for pos_infin, as Asio).
  void wait()
  {
    boost::system::error_code ec;
    wait(ec);
    detail::throw_error(ec, "wait");
  }
  void wait(boost::system::error_code& ec)
  {
    for (time_type now = TimeTraits::now(); TimeTraits::less_than(now, expiry_);
         now = TimeTraits::now())
    {
      boost::posix_time::time_duration left =
          TimeTraits::to_posix_duration(TimeTraits::subtract(expiry_, now));
      // Asleep a second at most at a time: the clock may be set while we sleep.
      std::int64_t us = left.is_special() ? 1000000 : left.total_microseconds();
      std::this_thread::sleep_for(std::chrono::microseconds(us < 1000000 ? us : 1000000));
    }
    ec = boost::system::error_code();
  }

  // handler(error_code): success at expiry, operation_aborted if cancelled first.
  template <class WaitHandler>
  auto async_wait(WaitHandler&& handler)
  {
    return timer_.async_wait(std::forward<WaitHandler>(handler));
  }

private:
  void sync() { timer_.expires_at(clock::to_time_point(expiry_)); }

  timer timer_;
  time_type expiry_;
};

} // namespace blitz

#endif
