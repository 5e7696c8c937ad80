// ip::unicast::hops: the time-to-live (IPv4) or hop limit (IPv6) of outgoing unicast.
#ifndef BLITZ_IP_UNICAST_HPP
#define BLITZ_IP_UNICAST_HPP

#include <blitz/detail/multicast_option.hpp>

#include <netinet/in.h>

namespace blitz {
namespace ip {
namespace unicast {

using hops = blitz::detail::ip_option::family_hops<IPPROTO_IP, IP_TTL, IPPROTO_IPV6,
                                                   IPV6_UNICAST_HOPS, false>;

} // namespace unicast
} // namespace ip
} // namespace blitz

#endif
