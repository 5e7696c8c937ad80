// The process-wide system_context behind system_executor.
#include <blitz/system_executor.hpp>

namespace blitz {

system_context::system_context() : pool_() {}

system_context::~system_context()
{
  stop();
  join();
}

// A function-local static: created on first use (no threads for programs that never post
// to the system executor), destroyed at exit after the objects constructed before it.
system_context& system_context::instance()
{
  static system_context ctx;
  return ctx;
}

void system_context::stop()
{
  stopped_.store(true, std::memory_order_relaxed);
  pool_.stop();
}

bool system_context::stopped() const noexcept
{
  return stopped_.load(std::memory_order_relaxed);
}

void system_context::join() { pool_.join(); }

} // namespace blitz
