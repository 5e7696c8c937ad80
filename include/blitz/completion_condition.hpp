// Completion conditions for the composed read/write operations.
//
// A condition is called as `cond(ec, bytes_transferred_so_far)` before each read_some /
// write_some and returns the most bytes the next call may transfer; 0 ends the operation.
// The composed operation stops anyway once the buffers are full, so a condition only has
// to decide "stop early" and "how big a bite".
//
// Older Asio code writes conditions that return bool (true = done). Asio 1.81 still accepts
// them (detail::adapt_completion_condition_result), so adapt_completion_condition() below
// turns either kind into the size_t form the operations use.
#ifndef BLITZ_COMPLETION_CONDITION_HPP
#define BLITZ_COMPLETION_CONDITION_HPP

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace blitz {
namespace detail {

// The bite size when a condition does not limit it. An enumerator, as in Asio, so that it
// never needs an out-of-line definition when bound to a reference.
enum default_max_transfer_size_t
{
  default_max_transfer_size = 65536
};

inline std::size_t adapt_completion_condition_result(bool done) noexcept
{
  return done ? 0 : default_max_transfer_size;
}

inline std::size_t adapt_completion_condition_result(std::size_t max_next) noexcept
{
  return max_next;
}

class transfer_all_t
{
public:
  using result_type = std::size_t;

  template <typename Error>
  std::size_t operator()(const Error& err, std::size_t) const noexcept
  {
    return !!err ? 0 : default_max_transfer_size;
  }
};

class transfer_at_least_t
{
public:
  using result_type = std::size_t;

  explicit transfer_at_least_t(std::size_t minimum) noexcept : minimum_(minimum) {}

  template <typename Error>
  std::size_t operator()(const Error& err, std::size_t bytes_transferred) const noexcept
  {
    return (!!err || bytes_transferred >= minimum_) ? 0 : default_max_transfer_size;
  }

private:
  std::size_t minimum_;
};

class transfer_exactly_t
{
public:
  using result_type = std::size_t;

  explicit transfer_exactly_t(std::size_t size) noexcept : size_(size) {}

  // The bite is also capped at what is still owed, so a transfer never overshoots
  // `size` even when the buffers are larger.
  template <typename Error>
  std::size_t operator()(const Error& err, std::size_t bytes_transferred) const noexcept
  {
    if (!!err || bytes_transferred >= size_)
      return 0;
    const std::size_t owed = size_ - bytes_transferred;
    return owed < static_cast<std::size_t>(default_max_transfer_size)
        ? owed
        : static_cast<std::size_t>(default_max_transfer_size);
  }

private:
  std::size_t size_;
};

// Exactly bool means "done?"; anything else is taken as a byte count. Dispatching on the
// type rather than by overloading also accepts conditions returning int or unsigned, which
// would be ambiguous between the two adapt_completion_condition_result overloads.
inline std::size_t adapt_condition_result(bool done, std::true_type) noexcept
{
  return adapt_completion_condition_result(done);
}

template <typename Result>
inline std::size_t adapt_condition_result(const Result& max_next, std::false_type) noexcept
{
  return static_cast<std::size_t>(max_next);
}

template <typename Condition>
class completion_condition_adapter
{
public:
  explicit completion_condition_adapter(Condition cond) : cond_(std::move(cond)) {}

  // Not const: user conditions may keep state and Asio calls them as non-const lvalues.
  std::size_t operator()(const boost::system::error_code& ec, std::size_t bytes_transferred)
  {
    using result = typename std::decay<decltype(cond_(ec, bytes_transferred))>::type;
    return adapt_condition_result(
        cond_(ec, bytes_transferred), std::is_same<result, bool>());
  }

private:
  Condition cond_;
};

template <typename Condition>
inline completion_condition_adapter<typename std::decay<Condition>::type>
adapt_completion_condition(Condition&& cond)
{
  return completion_condition_adapter<typename std::decay<Condition>::type>(
      std::forward<Condition>(cond));
}

} // namespace detail

// Transfers until the buffers are full or an error occurs.
inline detail::transfer_all_t transfer_all() noexcept
{
  return detail::transfer_all_t();
}

// Transfers until at least `minimum` bytes have moved (or the buffers are full, or error).
inline detail::transfer_at_least_t transfer_at_least(std::size_t minimum) noexcept
{
  return detail::transfer_at_least_t(minimum);
}

// Transfers exactly `size` bytes (fewer only if the buffers are smaller, or on error).
inline detail::transfer_exactly_t transfer_exactly(std::size_t size) noexcept
{
  return detail::transfer_exactly_t(size);
}

} // namespace blitz

#endif
