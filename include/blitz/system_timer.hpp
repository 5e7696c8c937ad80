#ifndef BLITZ_SYSTEM_TIMER_HPP
#define BLITZ_SYSTEM_TIMER_HPP

#include <blitz/basic_waitable_timer.hpp>

#include <chrono>

namespace blitz {

using system_timer = basic_waitable_timer<std::chrono::system_clock>;

} // namespace blitz

#endif
