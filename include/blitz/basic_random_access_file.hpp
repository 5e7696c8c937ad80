#ifndef BLITZ_BASIC_RANDOM_ACCESS_FILE_HPP
#define BLITZ_BASIC_RANDOM_ACCESS_FILE_HPP
// basic_random_access_file is defined in random_access_file.hpp; this header exists so that
// #include <boost/asio/basic_random_access_file.hpp> ports unchanged.
#include <blitz/random_access_file.hpp>
#endif
