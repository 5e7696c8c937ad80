// local::basic_endpoint<Protocol>: the address of a UNIX-domain socket, a filesystem path
// or (Linux) an abstract name beginning with '\0':
//
//   local::stream_protocol::endpoint ep("/run/app.sock");
//   local::stream_protocol::endpoint abstract_ep(std::string("\0app", 4));
#ifndef BLITZ_LOCAL_BASIC_ENDPOINT_HPP
#define BLITZ_LOCAL_BASIC_ENDPOINT_HPP

#include <blitz/detail/local_endpoint.hpp>

#include <cstddef>
#include <cstring>
#include <ostream>
#include <string>

namespace blitz {
namespace local {

template <class Protocol>
class basic_endpoint
{
public:
  using protocol_type = Protocol;
  using data_type = ::sockaddr;

  // The unnamed address.
  basic_endpoint() noexcept {}
  // A C string cannot hold an abstract name (it would look empty); use std::string.
  basic_endpoint(const char* path_name) : impl_(path_name, std::strlen(path_name)) {}
  basic_endpoint(const std::string& path_name) : impl_(path_name.data(), path_name.size()) {}

  protocol_type protocol() const { return protocol_type(); }

  data_type* data() noexcept { return impl_.data(); }
  const data_type* data() const noexcept { return impl_.data(); }
  std::size_t size() const noexcept { return impl_.size(); }
  void resize(std::size_t new_size) { impl_.resize(new_size); }
  std::size_t capacity() const noexcept { return impl_.capacity(); }

  std::string path() const { return impl_.path(); }
  void path(const char* p) { impl_.path(p, std::strlen(p)); }
  void path(const std::string& p) { impl_.path(p.data(), p.size()); }

  friend bool operator==(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return a.impl_ == b.impl_;
  }
  friend bool operator!=(const basic_endpoint& a, const basic_endpoint& b) noexcept
  {
    return !(a == b);
  }
  friend bool operator<(const basic_endpoint& a, const basic_endpoint& b)
  {
    return a.impl_ < b.impl_;
  }
  friend bool operator>(const basic_endpoint& a, const basic_endpoint& b) { return b < a; }
  friend bool operator<=(const basic_endpoint& a, const basic_endpoint& b) { return !(b < a); }
  friend bool operator>=(const basic_endpoint& a, const basic_endpoint& b) { return !(a < b); }

private:
  detail::local_endpoint impl_;
};

template <typename Elem, typename Traits, typename Protocol>
std::basic_ostream<Elem, Traits>& operator<<(std::basic_ostream<Elem, Traits>& os,
                                             const basic_endpoint<Protocol>& endpoint)
{
  return os << endpoint.path();
}

} // namespace local
} // namespace blitz

#endif
