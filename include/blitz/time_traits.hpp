// Asio's time_traits: how basic_deadline_timer reads the time and does arithmetic on a
// Boost.DateTime time type. A program may specialise it (or pass its own traits) for another
// time type; to_posix_duration must map its durations to posix_time::time_duration.
#ifndef BLITZ_TIME_TRAITS_HPP
#define BLITZ_TIME_TRAITS_HPP

#include <boost/date_time/posix_time/posix_time_types.hpp>

namespace blitz {

template <class Time>
struct time_traits;

template <>
struct time_traits<boost::posix_time::ptime>
{
  using time_type = boost::posix_time::ptime;
  using duration_type = boost::posix_time::time_duration;

  // UTC, as Asio: a deadline_timer follows the wall clock, jumps included.
  static time_type now() { return boost::posix_time::microsec_clock::universal_time(); }
  static time_type add(const time_type& t, const duration_type& d) { return t + d; }
  static duration_type subtract(const time_type& t1, const time_type& t2) { return t1 - t2; }
  static bool less_than(const time_type& t1, const time_type& t2) { return t1 < t2; }
  static boost::posix_time::time_duration to_posix_duration(const duration_type& d) { return d; }
};

} // namespace blitz

#endif
