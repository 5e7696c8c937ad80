// ip::resolver_base: the flags a resolve() call passes to getaddrinfo (Asio's
// resolver_base). Values are the AI_* constants themselves.
#ifndef BLITZ_IP_RESOLVER_BASE_HPP
#define BLITZ_IP_RESOLVER_BASE_HPP

#include <netdb.h>

namespace blitz {
namespace ip {

class resolver_base
{
public:
  enum flags
  {
    // Ask for the canonical host name; the entries' host_name() then carries it.
    canonical_name = AI_CANONNAME,
    // With an empty host: the wildcard address, for binding (else the loopback address).
    passive = AI_PASSIVE,
    // The host is a numeric address; no name lookup (and no network traffic) happens.
    numeric_host = AI_NUMERICHOST,
    // The service is a port number; /etc/services is not consulted.
    numeric_service = AI_NUMERICSERV,
    // With an IPv6 protocol and no IPv6 address, return IPv4-mapped IPv6 addresses.
    v4_mapped = AI_V4MAPPED,
    // With v4_mapped: both IPv6 and IPv4-mapped addresses.
    all_matching = AI_ALL,
    // Only families the host has a non-loopback address configured for.
    address_configured = AI_ADDRCONFIG
  };

  friend flags operator&(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned int>(x) & static_cast<unsigned int>(y));
  }
  friend flags operator|(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned int>(x) | static_cast<unsigned int>(y));
  }
  friend flags operator^(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned int>(x) ^ static_cast<unsigned int>(y));
  }
  friend flags operator~(flags x) noexcept
  {
    return static_cast<flags>(~static_cast<unsigned int>(x));
  }
  friend flags& operator&=(flags& x, flags y) noexcept { return x = x & y; }
  friend flags& operator|=(flags& x, flags y) noexcept { return x = x | y; }
  friend flags& operator^=(flags& x, flags y) noexcept { return x = x ^ y; }

protected:
  ~resolver_base() = default;
};

} // namespace ip
} // namespace blitz

#endif
