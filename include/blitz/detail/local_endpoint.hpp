// The storage behind local::basic_endpoint: a sockaddr_un and how many bytes of sun_path
// are in use. Not a template, so every local protocol shares it.
//
// Three kinds of name fit in it: a filesystem path; a Linux abstract name, whose first
// byte is '\0' and whose every byte (trailing zeros included) is significant, so it is
// kept by length and never NUL-terminated; and the unnamed address of a socketpair end or
// an unbound client, which the kernel reports with a length that stops before sun_path.
#ifndef BLITZ_DETAIL_LOCAL_ENDPOINT_HPP
#define BLITZ_DETAIL_LOCAL_ENDPOINT_HPP

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>

#include <cstddef>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>

namespace blitz {
namespace detail {

class local_endpoint
{
public:
  local_endpoint() noexcept : data_(), path_length_(0) { data_.sun_family = AF_UNIX; }

  // Throws system_error(name_too_long) when the name does not fit sun_path.
  local_endpoint(const char* path, std::size_t length) : data_(), path_length_(0)
  {
    data_.sun_family = AF_UNIX;
    set(path, length);
  }

  ::sockaddr* data() noexcept { return reinterpret_cast<::sockaddr*>(&data_); }
  const ::sockaddr* data() const noexcept { return reinterpret_cast<const ::sockaddr*>(&data_); }

  std::size_t size() const noexcept { return path_offset() + path_length_; }
  std::size_t capacity() const noexcept { return sizeof(data_); }

  // After the kernel wrote an address of new_size bytes into data().
  void resize(std::size_t new_size)
  {
    if (new_size > capacity())
      throw_error(error::invalid_argument, "local endpoint resize");
    path_length_ = new_size > path_offset() ? new_size - path_offset() : 0;
    // A filesystem path comes back with its terminating NUL counted; an abstract name
    // does not have one, and its trailing zero bytes are part of the name.
    if (path_length_ > 0 && data_.sun_path[0] != '\0' && data_.sun_path[path_length_ - 1] == '\0')
      --path_length_;
  }

  std::string path() const { return std::string(data_.sun_path, path_length_); }

  void path(const char* p, std::size_t length)
  {
    local_endpoint tmp(p, length);
    *this = tmp;
  }

  friend bool operator==(const local_endpoint& a, const local_endpoint& b) noexcept
  {
    return a.path_length_ == b.path_length_ &&
           std::memcmp(a.data_.sun_path, b.data_.sun_path, a.path_length_) == 0;
  }
  friend bool operator<(const local_endpoint& a, const local_endpoint& b)
  {
    return a.path() < b.path();
  }

private:
  static constexpr std::size_t path_offset() noexcept { return offsetof(::sockaddr_un, sun_path); }

  void set(const char* p, std::size_t length)
  {
    const bool abstract = length > 0 && p[0] == '\0';
    // A path needs room for its NUL (the kernel reads up to it); an abstract name is
    // measured by length and may fill sun_path completely.
    const std::size_t max = abstract ? sizeof(data_.sun_path) : sizeof(data_.sun_path) - 1;
    if (length > max)
      throw_error(error::name_too_long, "local endpoint");
    std::memcpy(data_.sun_path, p, length);
    if (length < sizeof(data_.sun_path))
      data_.sun_path[length] = '\0';
    path_length_ = length;
  }

  ::sockaddr_un data_;
  std::size_t path_length_;
};

} // namespace detail
} // namespace blitz

#endif
