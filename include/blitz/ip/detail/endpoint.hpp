// The storage behind ip::basic_endpoint: a sockaddr_in or sockaddr_in6, in exactly the
// layout the socket calls take, so bind/connect/accept/recvfrom can pass data() and
// size() (or capacity()) straight to the kernel. Not a template, so the protocol type
// only appears in the thin basic_endpoint wrapper.
#ifndef BLITZ_IP_DETAIL_ENDPOINT_HPP
#define BLITZ_IP_DETAIL_ENDPOINT_HPP

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>
#include <blitz/ip/address.hpp>

#include <cstddef>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace blitz {
namespace ip {
namespace detail {

class endpoint
{
public:
  // 0.0.0.0:0
  endpoint() noexcept : data_() { data_.v4.sin_family = AF_INET; }

  // The unspecified address of `family` (AF_INET or AF_INET6) with the given port; any
  // family other than AF_INET gives IPv6, as in Asio.
  endpoint(int family, unsigned short port_num) noexcept : data_()
  {
    if (family == AF_INET)
    {
      data_.v4.sin_family = AF_INET;
      data_.v4.sin_port = htons(port_num);
    }
    else
    {
      data_.v6.sin6_family = AF_INET6;
      data_.v6.sin6_port = htons(port_num);
    }
  }

  endpoint(const ip::address& addr, unsigned short port_num) noexcept : data_()
  {
    set(addr, port_num);
  }

  sockaddr* data() noexcept { return &data_.base; }
  const sockaddr* data() const noexcept { return &data_.base; }

  std::size_t size() const noexcept { return is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6); }

  // Called after the kernel has written an address into data() and reported its length.
  // The family field, not the length, decides what the endpoint holds, so the length only
  // has to fit: a larger value means the kernel truncated the address.
  void resize(std::size_t new_size)
  {
    if (new_size > capacity())
      blitz::detail::throw_error(blitz::error::invalid_argument, "endpoint::resize");
  }

  std::size_t capacity() const noexcept { return sizeof(data_); }

  unsigned short port() const noexcept
  {
    return ntohs(is_v4() ? data_.v4.sin_port : data_.v6.sin6_port);
  }

  void port(unsigned short port_num) noexcept
  {
    if (is_v4())
      data_.v4.sin_port = htons(port_num);
    else
      data_.v6.sin6_port = htons(port_num);
  }

  ip::address address() const noexcept
  {
    if (is_v4())
    {
      address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &data_.v4.sin_addr, bytes.size());
      return address_v4(bytes);
    }
    address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &data_.v6.sin6_addr, bytes.size());
    return address_v6(bytes, data_.v6.sin6_scope_id);
  }

  // Keeps the port; the family follows the new address.
  void address(const ip::address& addr) noexcept { set(addr, port()); }

  bool is_v4() const noexcept { return data_.base.sa_family == AF_INET; }

  // "1.2.3.4:80" or "[::1]:80"; brackets keep the port separable from IPv6 colons.
  std::string to_string() const
  {
    const ip::address addr = address();
    std::string result;
    if (addr.is_v4())
      result = addr.to_string();
    else
      result = '[' + addr.to_string() + ']';
    result += ':';
    result += std::to_string(port());
    return result;
  }

  friend bool operator==(const endpoint& a, const endpoint& b) noexcept
  {
    return a.address() == b.address() && a.port() == b.port();
  }

  friend bool operator<(const endpoint& a, const endpoint& b) noexcept
  {
    const ip::address addr_a = a.address();
    const ip::address addr_b = b.address();
    if (addr_a != addr_b)
      return addr_a < addr_b;
    return a.port() < b.port();
  }

private:
  // Rebuilds the whole union so that no byte of the previous family (e.g. a v6 scope id
  // after switching to v4) survives into what the kernel is given.
  void set(const ip::address& addr, unsigned short port_num) noexcept
  {
    data_ = data_union();
    if (addr.is_v4())
    {
      const address_v4::bytes_type bytes = addr.to_v4().to_bytes();
      data_.v4.sin_family = AF_INET;
      data_.v4.sin_port = htons(port_num);
      std::memcpy(&data_.v4.sin_addr, bytes.data(), bytes.size());
    }
    else
    {
      const address_v6 v6 = addr.to_v6();
      const address_v6::bytes_type bytes = v6.to_bytes();
      data_.v6.sin6_family = AF_INET6;
      data_.v6.sin6_port = htons(port_num);
      std::memcpy(&data_.v6.sin6_addr, bytes.data(), bytes.size());
      data_.v6.sin6_scope_id = v6.scope_id();
    }
  }

  union data_union
  {
    sockaddr base;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } data_;
};

} // namespace detail
} // namespace ip
} // namespace blitz

#endif
