#ifndef BLITZ_IP_BAD_ADDRESS_CAST_HPP
#define BLITZ_IP_BAD_ADDRESS_CAST_HPP
// bad_address_cast is defined with address_v6; this header exists so that
// #include <boost/asio/ip/bad_address_cast.hpp> ports unchanged.
#include <blitz/ip/address_v6.hpp>
#endif
