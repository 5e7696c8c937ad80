// Why a channel operation failed, with the names of Asio's experimental::error::channel_errors.
#ifndef BLITZ_CHANNEL_ERROR_HPP
#define BLITZ_CHANNEL_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace blitz {
namespace error {

enum channel_errors
{
  channel_closed = 1,   // closed: no more sends, and nothing left to receive
  channel_cancelled = 2, // cancel() or the channel's destruction
  // broadcast: the receiver fell more than the capacity behind; the values it missed are
  // gone and its next receive gets the oldest value still kept (blitz's own addition).
  channel_lagged = 3
};

namespace detail {

class channel_category final : public boost::system::error_category
{
public:
  constexpr channel_category() noexcept : boost::system::error_category(0x6b3f1c2ad9e04a74ULL) {}

  const char* name() const noexcept override { return "blitz.channel"; }

  std::string message(int value) const override
  {
    switch (value)
    {
    case channel_closed:
      return "Channel closed";
    case channel_cancelled:
      return "Channel cancelled";
    case channel_lagged:
      return "Receiver lagged behind: values were dropped";
    default:
      return "blitz.channel error";
    }
  }
};

} // namespace detail

inline const boost::system::error_category& get_channel_category() noexcept
{
  static const detail::channel_category instance;
  return instance;
}

inline boost::system::error_code make_error_code(channel_errors e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), get_channel_category());
}

} // namespace error
} // namespace blitz

namespace boost {
namespace system {

template <>
struct is_error_code_enum<blitz::error::channel_errors> : std::true_type
{
};

} // namespace system
} // namespace boost

#endif
