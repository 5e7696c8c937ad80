#ifndef BLITZ_IO_SERVICE_HPP
#define BLITZ_IO_SERVICE_HPP
// The pre-1.66 name: blitz::io_service is io_context.
#include <blitz/io_context.hpp>
#endif
