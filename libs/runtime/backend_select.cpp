// Run-time backend choice. Kernel version checks say nothing under seccomp filters or
// kernel.io_uring_disabled, so io_uring is chosen only when a ring is actually created and
// every opcode blitz-io uses probes; anything else falls back to epoll.
#include <blitz/detail/backend.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/throw_error.hpp>

#include <cstdlib>
#include <cstring>

namespace blitz {
namespace detail {

std::unique_ptr<backend> make_backend(scheduler& s, const scheduler_options& opts,
                                      boost::system::error_code& fallback_reason)
{
  fallback_reason = boost::system::error_code();
  backend_kind kind = opts.backend;
  if (kind == backend_kind::automatic)
  {
    if (const char* env = std::getenv("BLITZ_IO_BACKEND"))
    {
      if (std::strcmp(env, "uring") == 0 || std::strcmp(env, "io_uring") == 0)
        kind = backend_kind::uring;
      else if (std::strcmp(env, "epoll") == 0)
        kind = backend_kind::epoll;
    }
  }

  boost::system::error_code ec;
  std::unique_ptr<backend> b;
  if (kind != backend_kind::epoll)
  {
    b = make_uring_backend(s, opts, ec);
    if (b || kind == backend_kind::uring)
    {
      // An explicit request for io_uring that cannot be met is an error, not a silent
      // downgrade: the caller asked to measure or test that backend.
      throw_error(ec, "io_context: io_uring backend");
      return b;
    }
    // Automatic choice fell back: remember why, for the program to report.
    fallback_reason = ec;
  }
  ec = boost::system::error_code();
  b = make_epoll_backend(s, ec);
  throw_error(ec, "io_context: epoll backend");
  return b;
}

} // namespace detail
} // namespace blitz
