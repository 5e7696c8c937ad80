// Generic socket option types: each models Asio's GettableSocketOption and
// SettableSocketOption, i.e. the socket's get_option/set_option call
//   getsockopt(fd, opt.level(p), opt.name(p), opt.data(p), &len);   // len = opt.size(p)
//   opt.resize(p, len);
// and setsockopt(fd, opt.level(p), opt.name(p), opt.data(p), opt.size(p)).
//
// Options that exist only inside the library (no kernel counterpart) carry the marker
// `library_option == true`, use level custom_socket_option_level, and must be intercepted
// by the socket code before reaching the kernel; is_library_option<Option> tests for them.
#ifndef BLITZ_DETAIL_SOCKET_OPTION_HPP
#define BLITZ_DETAIL_SOCKET_OPTION_HPP

#include <cstddef>
#include <stdexcept>
#include <type_traits>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace blitz {
namespace detail {

// Level and names of the library-only options. The level is chosen far from every real
// SOL_* / IPPROTO_* value so it can never collide with a kernel option; should one slip
// through to setsockopt anyway, the kernel rejects it (ENOPROTOOPT) rather than acting.
enum
{
  custom_socket_option_level = 0x5b1a0000,
  enable_connection_aborted_option = 1
};

namespace socket_option {

// A boolean stored as the int the kernel expects.
template <int Level, int Name>
class boolean
{
public:
  boolean() noexcept : value_(0) {}
  explicit boolean(bool v) noexcept : value_(v ? 1 : 0) {}

  boolean& operator=(bool v) noexcept
  {
    value_ = v ? 1 : 0;
    return *this;
  }

  // Any non-zero value read back means "on": the kernel may report e.g. the flag bit
  // rather than 1.
  bool value() const noexcept { return value_ != 0; }
  // Implicit, as in Asio, so that ported `bool on = option;` keeps compiling.
  operator bool() const noexcept { return value_ != 0; }
  bool operator!() const noexcept { return value_ == 0; }

  template <typename Protocol>
  int level(const Protocol&) const noexcept
  {
    return Level;
  }

  template <typename Protocol>
  int name(const Protocol&) const noexcept
  {
    return Name;
  }

  template <typename Protocol>
  int* data(const Protocol&) noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  const int* data(const Protocol&) const noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  std::size_t size(const Protocol&) const noexcept
  {
    return sizeof(value_);
  }

  // Some platforms answer getsockopt for boolean options with a single byte. That byte
  // lands at the lowest address of value_, and the rest of value_ still holds whatever
  // was there before the call, so it is read on its own and value_ normalised.
  template <typename Protocol>
  void resize(const Protocol&, std::size_t s)
  {
    if (s == sizeof(char))
      value_ = *reinterpret_cast<const unsigned char*>(&value_) != 0 ? 1 : 0;
    else if (s != sizeof(value_))
      throw std::length_error("boolean socket option resize");
  }

private:
  int value_;
};

template <int Level, int Name>
class integer
{
public:
  integer() noexcept : value_(0) {}
  explicit integer(int v) noexcept : value_(v) {}

  integer& operator=(int v) noexcept
  {
    value_ = v;
    return *this;
  }

  int value() const noexcept { return value_; }

  template <typename Protocol>
  int level(const Protocol&) const noexcept
  {
    return Level;
  }

  template <typename Protocol>
  int name(const Protocol&) const noexcept
  {
    return Name;
  }

  template <typename Protocol>
  int* data(const Protocol&) noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  const int* data(const Protocol&) const noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  std::size_t size(const Protocol&) const noexcept
  {
    return sizeof(value_);
  }

  template <typename Protocol>
  void resize(const Protocol&, std::size_t s)
  {
    if (s != sizeof(value_))
      throw std::length_error("integer socket option resize");
  }

private:
  int value_;
};

// SO_LINGER: whether close() waits for unsent data, and for how many seconds.
template <int Level, int Name>
class linger
{
public:
  linger() noexcept : value_() {}

  linger(bool e, int t) noexcept : value_()
  {
    enabled(e);
    timeout(t);
  }

  void enabled(bool value) noexcept { value_.l_onoff = value ? 1 : 0; }
  bool enabled() const noexcept { return value_.l_onoff != 0; }

  void timeout(int seconds) noexcept { value_.l_linger = seconds; }
  int timeout() const noexcept { return static_cast<int>(value_.l_linger); }

  template <typename Protocol>
  int level(const Protocol&) const noexcept
  {
    return Level;
  }

  template <typename Protocol>
  int name(const Protocol&) const noexcept
  {
    return Name;
  }

  template <typename Protocol>
  ::linger* data(const Protocol&) noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  const ::linger* data(const Protocol&) const noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  std::size_t size(const Protocol&) const noexcept
  {
    return sizeof(value_);
  }

  template <typename Protocol>
  void resize(const Protocol&, std::size_t s)
  {
    if (s != sizeof(value_))
      throw std::length_error("linger socket option resize");
  }

private:
  ::linger value_;
};

// A boolean option the library implements itself (e.g. enable_connection_aborted). It
// has the same interface as boolean, so generic code compiles, but holds a bool and is
// marked so that socket code can route it to the library (is_library_option below)
// instead of to setsockopt. A class template, so the static member needs no out-of-line
// definition in a .cpp even when C++14 code odr-uses it.
template <int Level, int Name>
class library_boolean
{
public:
  static constexpr bool library_option = true;

  library_boolean() noexcept : value_(false) {}
  explicit library_boolean(bool v) noexcept : value_(v) {}

  library_boolean& operator=(bool v) noexcept
  {
    value_ = v;
    return *this;
  }

  bool value() const noexcept { return value_; }
  operator bool() const noexcept { return value_; }
  bool operator!() const noexcept { return !value_; }

  template <typename Protocol>
  int level(const Protocol&) const noexcept
  {
    return Level;
  }

  template <typename Protocol>
  int name(const Protocol&) const noexcept
  {
    return Name;
  }

  template <typename Protocol>
  bool* data(const Protocol&) noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  const bool* data(const Protocol&) const noexcept
  {
    return &value_;
  }

  template <typename Protocol>
  std::size_t size(const Protocol&) const noexcept
  {
    return sizeof(value_);
  }

  template <typename Protocol>
  void resize(const Protocol&, std::size_t s)
  {
    if (s != sizeof(value_))
      throw std::length_error("library socket option resize");
  }

private:
  bool value_;
};

#if __cplusplus < 201703L
// C++17 makes static constexpr members implicitly inline; before that, odr-use (binding
// to a const reference, as BOOST_CHECK does) needs this definition.
template <int Level, int Name>
constexpr bool library_boolean<Level, Name>::library_option;
#endif

template <typename...>
struct make_void_t
{
  using type = void;
};

// True for option types carrying `static constexpr bool library_option = true`.
template <typename Option, typename = void>
struct is_library_option : std::false_type
{
};

template <typename Option>
struct is_library_option<Option, typename make_void_t<decltype(Option::library_option)>::type>
  : std::integral_constant<bool, Option::library_option>
{
};

} // namespace socket_option
} // namespace detail

namespace ip {
namespace detail {

// ip::tcp::no_delay (TCP_NODELAY) is defined here so that tcp.hpp can alias it.
using no_delay_option = blitz::detail::socket_option::boolean<IPPROTO_TCP, TCP_NODELAY>;

} // namespace detail
} // namespace ip
} // namespace blitz

#endif
