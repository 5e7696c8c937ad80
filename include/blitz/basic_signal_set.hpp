#ifndef BLITZ_BASIC_SIGNAL_SET_HPP
#define BLITZ_BASIC_SIGNAL_SET_HPP
// basic_signal_set is defined in signal_set.hpp; this header exists so that
// #include <boost/asio/basic_signal_set.hpp> ports unchanged.
#include <blitz/signal_set.hpp>
#endif
