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

// The part every family-dependent option shares: both forms of the value, and the level,
// name, storage and size that go with the socket's family.
template <class V4, class V6, int V4Level, int V4Name, int V6Level, int V6Name>
class family_storage
{
public:
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

protected:
  family_storage() noexcept : v4_(), v6_() {}
  ~family_storage() = default;

  V4 v4_;
  V6 v6_;
};

// A boolean that IPv4 stores in a byte (IP_MULTICAST_LOOP is an unsigned char in the
// original BSD API, and Linux answers getsockopt with a byte when given one) and IPv6 in
// an int.
template <int V4Level, int V4Name, int V6Level, int V6Name>
class family_boolean
  : public family_storage<unsigned char, int, V4Level, V4Name, V6Level, V6Name>
{
public:
  family_boolean() noexcept = default;
  explicit family_boolean(bool v) noexcept { *this = v; }

  family_boolean& operator=(bool v) noexcept
  {
    v4_ = v ? 1 : 0;
    v6_ = v ? 1 : 0;
    return *this;
  }

  bool value() const noexcept { return v4_ != 0; }
  operator bool() const noexcept { return v4_ != 0; }
  bool operator!() const noexcept { return v4_ == 0; }

  // Keeps both forms in step so value() reads the same whichever family answered.
  template <class Protocol>
  void resize(const Protocol& p, std::size_t s)
  {
    if (s != this->size(p))
      throw std::length_error("multicast boolean socket option resize");
    if (is_v6(p))
      v4_ = v6_ ? 1 : 0;
    else
      v6_ = v4_ ? 1 : 0;
  }

private:
  using family_storage<unsigned char, int, V4Level, V4Name, V6Level, V6Name>::v4_;
  using family_storage<unsigned char, int, V4Level, V4Name, V6Level, V6Name>::v6_;
};

// A hop limit: IP_TTL / IPV6_UNICAST_HOPS (both ints), or IP_MULTICAST_TTL (a byte) /
// IPV6_MULTICAST_HOPS (an int). Byte-sized IPv4 values make 0..255 the whole range, which
// the multicast form enforces on construction, as Asio does.
template <int V4Level, int V4Name, int V6Level, int V6Name, bool V4Byte>
class family_hops
  : public family_storage<typename std::conditional<V4Byte, unsigned char, int>::type, int,
                          V4Level, V4Name, V6Level, V6Name>
{
  using v4_type = typename std::conditional<V4Byte, unsigned char, int>::type;
  using base = family_storage<v4_type, int, V4Level, V4Name, V6Level, V6Name>;
  using base::v4_;
  using base::v6_;

public:
  family_hops() noexcept = default;
  explicit family_hops(int v) { set(v); }

  family_hops& operator=(int v)
  {
    set(v);
    return *this;
  }

  int value() const noexcept { return v6_; }

  template <class Protocol>
  void resize(const Protocol& p, std::size_t s)
  {
    if (s != this->size(p))
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
};

// join_group / leave_group: which group, on which interface (set-only).
template <int V4Level, int V4Name, int V6Level, int V6Name>
class membership
  : public family_storage<::ip_mreq, ::ipv6_mreq, V4Level, V4Name, V6Level, V6Name>
{
  using base = family_storage<::ip_mreq, ::ipv6_mreq, V4Level, V4Name, V6Level, V6Name>;
  using base::v4_;
  using base::v6_;

public:
  // The IPv4 "any" group, as Asio's default; useful only as a placeholder.
  membership() noexcept = default;

  // A v6 group uses its scope id as the interface; a v4 group joins on the interface the
  // kernel picks from the routing table.
  explicit membership(const ip::address& group) noexcept
  {
    if (group.is_v6())
      set_v6(group.to_v6(), group.to_v6().scope_id());
    else
      set_v4(group.to_v4(), ip::address_v4::any());
  }
  explicit membership(const ip::address_v4& group,
                      const ip::address_v4& iface = ip::address_v4::any()) noexcept
  {
    set_v4(group, iface);
  }
  explicit membership(const ip::address_v6& group, unsigned long iface = 0) noexcept
  {
    set_v6(group, iface);
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
};

// outbound_interface: an IPv4 interface address or an IPv6 interface index (set-only).
template <int V4Level, int V4Name, int V6Level, int V6Name>
class interface_choice
  : public family_storage<::in_addr, unsigned int, V4Level, V4Name, V6Level, V6Name>
{
  using base = family_storage<::in_addr, unsigned int, V4Level, V4Name, V6Level, V6Name>;

public:
  interface_choice() noexcept = default;
  explicit interface_choice(const ip::address_v4& iface) noexcept
  {
    const ip::address_v4::bytes_type b = iface.to_bytes();
    std::memcpy(&this->v4_, b.data(), b.size());
  }
  explicit interface_choice(unsigned int v6_index) noexcept { this->v6_ = v6_index; }

};

} // namespace ip_option
} // namespace detail
} // namespace blitz

#endif
