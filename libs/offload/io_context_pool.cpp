// io_context_pool: one thread per io_context. See include/blitz/io_context_pool.hpp.
#include <blitz/io_context_pool.hpp>

#include <blitz/detail/current_executor.hpp>
#include <blitz/detail/op_delivery.hpp>

#include <stdexcept>

namespace blitz {

namespace {
std::size_t hardware_threads() noexcept
{
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}
} // namespace

io_context_pool::io_context_pool() : io_context_pool(hardware_threads()) {}

io_context_pool::io_context_pool(std::size_t n, const io_context::options& opts)
{
  if (n == 0)
    throw std::invalid_argument("io_context_pool: size must be at least 1");
  contexts_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    contexts_.emplace_back(new io_context(opts));
}

io_context_pool::~io_context_pool()
{
  stop();
  try
  {
    join();
  }
  catch (...)
  {
    // Already reported to whoever called join(); a destructor cannot throw it again.
  }
}

void io_context_pool::run()
{
  std::lock_guard<std::mutex> lock(mutex_);
  if (!threads_.empty())
    return;
  for (auto& c : contexts_)
  {
    c->restart();
    guards_.emplace_back(c->get_executor());
  }
  try
  {
    for (std::size_t i = 0; i < contexts_.size(); ++i)
      threads_.emplace_back([this, i] { thread_main(i); });
  }
  catch (...)
  {
    guards_.clear();
    for (auto& c : contexts_)
      c->stop();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
    throw;
  }
}

void io_context_pool::thread_main(std::size_t i) noexcept
{
  io_context& ctx = *contexts_[i];
  // Lets offload() and parallel_for() send results back to this context by default.
  detail::exec_frame_scope frame(detail::io_context_erased_ops(), &ctx);
  try
  {
    ctx.run();
  }
  catch (...)
  {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_)
        error_ = std::current_exception();
    }
    for (auto& c : contexts_)
      c->stop();
  }
}

void io_context_pool::stop()
{
  std::lock_guard<std::mutex> lock(mutex_);
  guards_.clear();
  for (auto& c : contexts_)
    c->stop();
}

void io_context_pool::join()
{
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    t.join();
  std::exception_ptr e;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    guards_.clear();
    e = error_;
    error_ = nullptr;
  }
  if (e)
    std::rethrow_exception(e);
}

io_context& io_context_pool::get_io_context() noexcept
{
  // Relaxed: only the spread matters, not which thread sees which count.
  std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
  return *contexts_[i % contexts_.size()];
}

} // namespace blitz
