#ifndef BLITZ_CANCELLATION_TYPE_HPP
#define BLITZ_CANCELLATION_TYPE_HPP

namespace blitz {

// What a cancellation request allows the operation to do (Asio's meaning):
//   terminal: the operation may end in any state (the object may be unusable after);
//   partial:  it may have had side effects, reported through its result;
//   total:    it must have had no effect at all.
enum class cancellation_type : unsigned
{
  none = 0,
  terminal = 1,
  partial = 2,
  total = 4,
  all = 0xffffffff
};

using cancellation_type_t = cancellation_type;

constexpr cancellation_type operator&(cancellation_type a, cancellation_type b) noexcept
{
  return static_cast<cancellation_type>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr cancellation_type operator|(cancellation_type a, cancellation_type b) noexcept
{
  return static_cast<cancellation_type>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr cancellation_type operator^(cancellation_type a, cancellation_type b) noexcept
{
  return static_cast<cancellation_type>(static_cast<unsigned>(a) ^ static_cast<unsigned>(b));
}
constexpr cancellation_type operator~(cancellation_type a) noexcept
{
  return static_cast<cancellation_type>(~static_cast<unsigned>(a));
}
inline cancellation_type& operator&=(cancellation_type& a, cancellation_type b) noexcept
{
  return a = a & b;
}
inline cancellation_type& operator|=(cancellation_type& a, cancellation_type b) noexcept
{
  return a = a | b;
}
constexpr bool operator!(cancellation_type a) noexcept { return static_cast<unsigned>(a) == 0; }

} // namespace blitz

#endif
