#ifndef BLITZ_HIGH_RESOLUTION_TIMER_HPP
#define BLITZ_HIGH_RESOLUTION_TIMER_HPP

#include <blitz/basic_waitable_timer.hpp>

#include <chrono>

namespace blitz {

using high_resolution_timer = basic_waitable_timer<std::chrono::high_resolution_clock>;

} // namespace blitz

#endif
