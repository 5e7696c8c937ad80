#ifndef BLITZ_DISPATCH_HPP
#define BLITZ_DISPATCH_HPP
// dispatch lives with post and defer in post.hpp; this header exists so that
// #include <boost/asio/dispatch.hpp> ports unchanged.
#include <blitz/post.hpp>
#endif
