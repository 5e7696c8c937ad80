// Happens-before edges that ThreadSanitizer cannot see: an op handed to the kernel on one
// thread (io_uring SQE) and taken back from the CQ ring on another is synchronised by the
// kernel, which TSan does not observe. The backend marks both ends explicitly.
#ifndef BLITZ_DETAIL_TSAN_HPP
#define BLITZ_DETAIL_TSAN_HPP

#if defined(__SANITIZE_THREAD__)
#define BLITZ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BLITZ_TSAN 1
#endif
#endif

#ifdef BLITZ_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace blitz {
namespace detail {

inline void tsan_release(void* p) noexcept
{
#ifdef BLITZ_TSAN
  __tsan_release(p);
#else
  (void)p;
#endif
}

inline void tsan_acquire(void* p) noexcept
{
#ifdef BLITZ_TSAN
  __tsan_acquire(p);
#else
  (void)p;
#endif
}

} // namespace detail
} // namespace blitz

#endif
