#ifndef BLITZ_DEFER_HPP
#define BLITZ_DEFER_HPP
// defer lives with post and defer in post.hpp; this header exists so that
// #include <boost/asio/defer.hpp> ports unchanged.
#include <blitz/post.hpp>
#endif
