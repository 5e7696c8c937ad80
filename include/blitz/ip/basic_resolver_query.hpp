// ip::basic_resolver_query: a host and service name with getaddrinfo hints (Asio's
// pre-1.66 way of calling resolve(), still accepted).
#ifndef BLITZ_IP_BASIC_RESOLVER_QUERY_HPP
#define BLITZ_IP_BASIC_RESOLVER_QUERY_HPP

#include <blitz/ip/resolver_query_base.hpp>

#include <string>

#include <netdb.h>
#include <sys/socket.h>

namespace blitz {
namespace ip {

template <class InternetProtocol>
class basic_resolver_query : public resolver_query_base
{
public:
  using protocol_type = InternetProtocol;

  // A service on this host, for binding (passive): the wildcard addresses.
  explicit basic_resolver_query(const std::string& service,
                                flags resolve_flags = passive | address_configured)
    : hints_(make_hints(resolve_flags, AF_UNSPEC)), service_name_(service)
  {
  }
  basic_resolver_query(const protocol_type& protocol, const std::string& service,
                       flags resolve_flags = passive | address_configured)
    : hints_(make_hints(resolve_flags, protocol.family())), service_name_(service)
  {
  }
  basic_resolver_query(const std::string& host, const std::string& service,
                       flags resolve_flags = address_configured)
    : hints_(make_hints(resolve_flags, AF_UNSPEC)), host_name_(host), service_name_(service)
  {
  }
  basic_resolver_query(const protocol_type& protocol, const std::string& host,
                       const std::string& service, flags resolve_flags = address_configured)
    : hints_(make_hints(resolve_flags, protocol.family())), host_name_(host),
      service_name_(service)
  {
  }

  const ::addrinfo& hints() const noexcept { return hints_; }
  std::string host_name() const { return host_name_; }
  std::string service_name() const { return service_name_; }

private:
  // The socket type and protocol come from the protocol class (tcp or udp); both of its
  // families share them.
  static ::addrinfo make_hints(flags f, int family) noexcept
  {
    ::addrinfo h{};
    h.ai_flags = static_cast<int>(f);
    h.ai_family = family;
    h.ai_socktype = protocol_type::v4().type();
    h.ai_protocol = protocol_type::v4().protocol();
    return h;
  }

  ::addrinfo hints_;
  std::string host_name_;
  std::string service_name_;
};

} // namespace ip
} // namespace blitz

#endif
