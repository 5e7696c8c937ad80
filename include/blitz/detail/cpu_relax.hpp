// A hint to the CPU that the caller is spinning: on x86 `pause` (lets the sibling
// hyperthread run and avoids the memory-order mis-speculation penalty when the awaited
// write arrives), on AArch64 `yield`; elsewhere nothing.
#ifndef BLITZ_DETAIL_CPU_RELAX_HPP
#define BLITZ_DETAIL_CPU_RELAX_HPP

namespace blitz {
namespace detail {

inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

} // namespace detail
} // namespace blitz

#endif
