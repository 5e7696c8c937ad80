// ip::resolver_query_base: the base of basic_resolver_query, as in Asio (the flags live in
// resolver_base).
#ifndef BLITZ_IP_RESOLVER_QUERY_BASE_HPP
#define BLITZ_IP_RESOLVER_QUERY_BASE_HPP

#include <blitz/ip/resolver_base.hpp>

namespace blitz {
namespace ip {

class resolver_query_base : public resolver_base
{
protected:
  ~resolver_query_base() = default;
};

} // namespace ip
} // namespace blitz

#endif
