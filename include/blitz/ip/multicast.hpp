// ip::multicast: group membership and the options that shape outgoing multicast. Each
// option follows the socket's family (IPv4 or IPv6 level and layout).
//
//   socket.set_option(ip::multicast::join_group(make_address("239.255.0.1")));
//   socket.set_option(ip::multicast::enable_loopback(true));
#ifndef BLITZ_IP_MULTICAST_HPP
#define BLITZ_IP_MULTICAST_HPP

#include <blitz/detail/multicast_option.hpp>

#include <netinet/in.h>

namespace blitz {
namespace ip {
namespace multicast {

// Set-only: constructed from a group address (and optionally the interface).
using join_group = blitz::detail::ip_option::membership<IPPROTO_IP, IP_ADD_MEMBERSHIP,
                                                        IPPROTO_IPV6, IPV6_JOIN_GROUP>;
using leave_group = blitz::detail::ip_option::membership<IPPROTO_IP, IP_DROP_MEMBERSHIP,
                                                         IPPROTO_IPV6, IPV6_LEAVE_GROUP>;

// Set-only: the interface outgoing multicast leaves by (an address_v4, or an IPv6
// interface index).
using outbound_interface = blitz::detail::ip_option::interface_choice<
    IPPROTO_IP, IP_MULTICAST_IF, IPPROTO_IPV6, IPV6_MULTICAST_IF>;

// Time-to-live of outgoing multicast, 0..255 (std::out_of_range otherwise).
using hops = blitz::detail::ip_option::family_hops<IPPROTO_IP, IP_MULTICAST_TTL, IPPROTO_IPV6,
                                                   IPV6_MULTICAST_HOPS, true>;

// Whether this host's own sockets in the group receive what it sends.
using enable_loopback = blitz::detail::ip_option::family_boolean<
    IPPROTO_IP, IP_MULTICAST_LOOP, IPPROTO_IPV6, IPV6_MULTICAST_LOOP>;

} // namespace multicast
} // namespace ip
} // namespace blitz

#endif
