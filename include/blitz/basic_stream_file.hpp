#ifndef BLITZ_BASIC_STREAM_FILE_HPP
#define BLITZ_BASIC_STREAM_FILE_HPP
// basic_stream_file is defined in stream_file.hpp; this header exists so that
// #include <boost/asio/basic_stream_file.hpp> ports unchanged.
#include <blitz/stream_file.hpp>
#endif
