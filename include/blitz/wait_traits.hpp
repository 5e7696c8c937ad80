#ifndef BLITZ_WAIT_TRAITS_HPP
#define BLITZ_WAIT_TRAITS_HPP

namespace blitz {

// Asio's customisation point for how long to wait for a clock's time point.
template <class Clock>
struct wait_traits
{
  static typename Clock::duration to_wait_duration(const typename Clock::duration& d)
  {
    return d;
  }
  // Saturates instead of overflowing: time_point::max() means "wait forever", not UB.
  static typename Clock::duration to_wait_duration(const typename Clock::time_point& t)
  {
    using duration = typename Clock::duration;
    const duration now = Clock::now().time_since_epoch();
    const duration at = t.time_since_epoch();
    if (at >= now)
    {
      if (now < duration::zero() && at > (duration::max)() + now)
        return (duration::max)();
    }
    else if (now > duration::zero() && at < (duration::min)() + now)
      return (duration::min)();
    return at - now;
  }
};

} // namespace blitz

#endif
