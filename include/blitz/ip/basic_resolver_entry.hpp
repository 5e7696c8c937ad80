// ip::basic_resolver_entry: one result of a resolve: an endpoint plus the host and service
// names it was found for.
#ifndef BLITZ_IP_BASIC_RESOLVER_ENTRY_HPP
#define BLITZ_IP_BASIC_RESOLVER_ENTRY_HPP

#include <string>

namespace blitz {
namespace ip {

template <class InternetProtocol>
class basic_resolver_entry
{
public:
  using protocol_type = InternetProtocol;
  using endpoint_type = typename InternetProtocol::endpoint;

  basic_resolver_entry() = default;
  basic_resolver_entry(const endpoint_type& ep, const std::string& host,
                       const std::string& service)
    : endpoint_(ep), host_name_(host), service_name_(service)
  {
  }

  endpoint_type endpoint() const { return endpoint_; }
  // So that an entry can be passed where an endpoint is expected (connect(), bind()).
  operator endpoint_type() const { return endpoint_; }
  // The name queried, or the canonical name when resolver_base::canonical_name was given.
  std::string host_name() const { return host_name_; }
  std::string service_name() const { return service_name_; }

private:
  endpoint_type endpoint_;
  std::string host_name_;
  std::string service_name_;
};

} // namespace ip
} // namespace blitz

#endif
