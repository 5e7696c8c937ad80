// ip::v6_only: whether an IPv6 socket refuses IPv4-mapped traffic (IPV6_V6ONLY). Linux's
// default comes from net.ipv6.bindv6only, so a dual-stack listener should set it
// explicitly either way.
#ifndef BLITZ_IP_V6_ONLY_HPP
#define BLITZ_IP_V6_ONLY_HPP

#include <blitz/detail/socket_option.hpp>

#include <netinet/in.h>

namespace blitz {
namespace ip {

using v6_only = blitz::detail::socket_option::boolean<IPPROTO_IPV6, IPV6_V6ONLY>;

} // namespace ip
} // namespace blitz

#endif
