// IP socket options whose level, name and even value layout depend on the socket's
// address family: IPv4 uses IPPROTO_IP with byte-sized values and struct ip_mreq, IPv6
// uses IPPROTO_IPV6 with ints and struct ipv6_mreq. Each option holds both forms and the
// socket picks one by the protocol it was opened with (basic_socket::protocol_), so
// `socket.set_option(multicast::hops(4))` is right for either family.
#ifndef BLITZ_DETAIL_MULTICAST_OPTION_HPP
#define BLITZ_DETAIL_MULTICAST_OPTION_HPP

#include <blitz/ip/address.hpp>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include <netinet/in.h>
#include <sys/socket.h>

namespace blitz {
namespace detail {
namespace ip_option {

template <class Protocol>
bool is_v6(const Protocol& p) noexcept
{
  return p.family() == AF_INET6;
}

// A boolean that IPv4 stores in a byte (IP_MULTICAST_LOOP is an unsigned char in the
// original BSD API, and Linux answers getsockopt with a byte when given one) and IPv6 in
// an int.
template <int V4Level, int V4Name, int V6Level, int V6Name>
class family_boolean
{
public:
  family_boolean() noexcept : v4_(0), v6_(0) {}
  explicit family_boolean(bool v) noexcept : v4_(v ? 1 : 0), v6_(v ? 1 : 0) {}

  family_boolean& operator=(bool v) noexcept
  {
    v4_ = v ? 1 : 0;
    v6_ = v ? 1 : 0;
    return *this;
  }

  bool value() const noexcept { return v4_ != 0; }
  operator bool() const noexcept { return v4_ != 0; }
  bool operator!() const noexcept { return v4_ == 0; }

  template <class Protocol>
  int level(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Level : V4Level;
  }
  template <class Protocol>
  int name(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Name : V4Name;
  }
  template <class Protocol>
  void* data(const Protocol& p) noexcept
  {
    return is_v6(p) ? static_cast<void*>(&v6_) : static_cast<void*>(&v4_);
  }
  template <class Protocol>
  const void* data(const Protocol& p) const noexcept
  {
    return is_v6(p) ? static_cast<const void*>(&v6_) : static_cast<const void*>(&v4_);
  }
  template <class Protocol>
  std::size_t size(const Protocol& p) const noexcept
  {
    return is_v6(p) ? sizeof(v6_) : sizeof(v4_);
  }
  // Keeps both forms in step so value() reads the same whichever family answered.
  template <class Protocol>
  void resize(const Protocol& p, std::size_t s)
  {
    if (s != size(p))
      throw std::length_error("multicast boolean socket option resize");
    if (is_v6(p))
      v4_ = v6_ ? 1 : 0;
    else
      v6_ = v4_ ? 1 : 0;
  }

private:
  unsigned char v4_;
  int v6_;
};

// A hop limit: IP_TTL / IPV6_UNICAST_HOPS (both ints), or IP_MULTICAST_TTL (a byte) /
// IPV6_MULTICAST_HOPS (an int). Byte-sized IPv4 values make 0..255 the whole range, which
// the multicast form enforces on construction, as Asio does.
template <int V4Level, int V4Name, int V6Level, int V6Name, bool V4Byte>
class family_hops
{
  using v4_type = typename std::conditional<V4Byte, unsigned char, int>::type;

public:
  family_hops() noexcept : v4_(0), v6_(0) {}
  explicit family_hops(int v) { set(v); }

  family_hops& operator=(int v)
  {
    set(v);
    return *this;
  }

  int value() const noexcept { return v6_; }

  template <class Protocol>
  int level(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Level : V4Level;
  }
  template <class Protocol>
  int name(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Name : V4Name;
  }
  template <class Protocol>
  void* data(const Protocol& p) noexcept
  {
    return is_v6(p) ? static_cast<void*>(&v6_) : static_cast<void*>(&v4_);
  }
  template <class Protocol>
  const void* data(const Protocol& p) const noexcept
  {
    return is_v6(p) ? static_cast<const void*>(&v6_) : static_cast<const void*>(&v4_);
  }
  template <class Protocol>
  std::size_t size(const Protocol& p) const noexcept
  {
    return is_v6(p) ? sizeof(v6_) : sizeof(v4_);
  }
  template <class Protocol>
  void resize(const Protocol& p, std::size_t s)
  {
    if (s != size(p))
      throw std::length_error("hops socket option resize");
    if (is_v6(p))
      v4_ = static_cast<v4_type>(v6_);
    else
      v6_ = v4_;
  }

private:
  void set(int v)
  {
    if (V4Byte && (v < 0 || v > 255))
      throw std::out_of_range("multicast hops value out of range");
    v4_ = static_cast<v4_type>(v);
    v6_ = v;
  }

  v4_type v4_;
  int v6_;
};

// join_group / leave_group: which group, on which interface (set-only).
template <int V4Level, int V4Name, int V6Level, int V6Name>
class membership
{
public:
  // The IPv4 "any" group, as Asio's default; useful only as a placeholder.
  membership() noexcept : v4_(), v6_() {}

  // A v6 group uses its scope id as the interface; a v4 group joins on the interface the
  // kernel picks from the routing table.
  explicit membership(const ip::address& group) noexcept : v4_(), v6_()
  {
    if (group.is_v6())
      set_v6(group.to_v6(), group.to_v6().scope_id());
    else
      set_v4(group.to_v4(), ip::address_v4::any());
  }
  explicit membership(const ip::address_v4& group,
                      const ip::address_v4& iface = ip::address_v4::any()) noexcept
    : v4_(), v6_()
  {
    set_v4(group, iface);
  }
  explicit membership(const ip::address_v6& group, unsigned long iface = 0) noexcept
    : v4_(), v6_()
  {
    set_v6(group, iface);
  }

  template <class Protocol>
  int level(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Level : V4Level;
  }
  template <class Protocol>
  int name(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Name : V4Name;
  }
  template <class Protocol>
  const void* data(const Protocol& p) const noexcept
  {
    return is_v6(p) ? static_cast<const void*>(&v6_) : static_cast<const void*>(&v4_);
  }
  template <class Protocol>
  std::size_t size(const Protocol& p) const noexcept
  {
    return is_v6(p) ? sizeof(v6_) : sizeof(v4_);
  }

private:
  void set_v4(const ip::address_v4& group, const ip::address_v4& iface) noexcept
  {
    const ip::address_v4::bytes_type g = group.to_bytes();
    const ip::address_v4::bytes_type i = iface.to_bytes();
    std::memcpy(&v4_.imr_multiaddr, g.data(), g.size());
    std::memcpy(&v4_.imr_interface, i.data(), i.size());
  }
  void set_v6(const ip::address_v6& group, unsigned long iface) noexcept
  {
    const ip::address_v6::bytes_type g = group.to_bytes();
    std::memcpy(&v6_.ipv6mr_multiaddr, g.data(), g.size());
    v6_.ipv6mr_interface = static_cast<unsigned int>(iface);
  }

  ::ip_mreq v4_;
  ::ipv6_mreq v6_;
};

// outbound_interface: an IPv4 interface address or an IPv6 interface index (set-only).
template <int V4Level, int V4Name, int V6Level, int V6Name>
class interface_choice
{
public:
  interface_choice() noexcept : v4_(), v6_(0) {}
  explicit interface_choice(const ip::address_v4& iface) noexcept : v4_(), v6_(0)
  {
    const ip::address_v4::bytes_type b = iface.to_bytes();
    std::memcpy(&v4_, b.data(), b.size());
  }
  explicit interface_choice(unsigned int v6_index) noexcept : v4_(), v6_(v6_index) {}

  template <class Protocol>
  int level(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Level : V4Level;
  }
  template <class Protocol>
  int name(const Protocol& p) const noexcept
  {
    return is_v6(p) ? V6Name : V4Name;
  }
  template <class Protocol>
  const void* data(const Protocol& p) const noexcept
  {
    return is_v6(p) ? static_cast<const void*>(&v6_) : static_cast<const void*>(&v4_);
  }
  template <class Protocol>
  std::size_t size(const Protocol& p) const noexcept
  {
    return is_v6(p) ? sizeof(v6_) : sizeof(v4_);
  }

private:
  ::in_addr v4_;
  unsigned int v6_;
};

} // namespace ip_option
} // namespace detail
} // namespace blitz

#endif
