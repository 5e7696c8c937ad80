#ifndef BLITZ_DEADLINE_TIMER_HPP
#define BLITZ_DEADLINE_TIMER_HPP

#include <blitz/basic_deadline_timer.hpp>

#include <boost/date_time/posix_time/posix_time_types.hpp>

namespace blitz {

using deadline_timer = basic_deadline_timer<boost::posix_time::ptime>;

} // namespace blitz

#endif
