// detached: the completion token for an operation whose result nobody waits for.
#ifndef BLITZ_DETACHED_HPP
#define BLITZ_DETACHED_HPP

namespace blitz {

// A handler that accepts any completion and does nothing with it: passed through as is.
struct detached_t
{
  constexpr detached_t() = default;
  template <class... Args>
  void operator()(Args&&...) const noexcept
  {
  }
};

constexpr detached_t detached;

} // namespace blitz

#endif
