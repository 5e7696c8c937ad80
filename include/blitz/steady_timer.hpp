#ifndef BLITZ_STEADY_TIMER_HPP
#define BLITZ_STEADY_TIMER_HPP

#include <blitz/basic_waitable_timer.hpp>

#include <chrono>

namespace blitz {

using steady_timer = basic_waitable_timer<std::chrono::steady_clock>;

} // namespace blitz

#endif
