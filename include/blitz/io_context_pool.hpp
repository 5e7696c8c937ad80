// io_context_pool: N single-threaded io_contexts, one thread each: the recommended way to
// use several cores for I/O. No state is shared between the contexts, so each keeps the
// single-threaded fast path (own ring, no cross-thread locks); spread connections over
// them with SO_REUSEPORT acceptors (one per context) or one acceptor handing accepted
// sockets out round-robin: acceptor.async_accept(pool.get_io_context(), handler).
//
//   blitz::io_context_pool pool(4);
//   ... set up acceptors on pool.context(i) ...
//   pool.run();    // starts the threads, returns at once
//   pool.join();   // until stop() (from a signal handler, a handler, another thread)
//
// Each context holds a work guard while the pool runs, so its thread stays up while idle.
// An exception escaping a handler ends that context's thread and stops the whole pool;
// join() rethrows it. Handlers calling offload() with no executor of their own get their
// result back on their own context (the threads register it; see offload.hpp).
#ifndef BLITZ_IO_CONTEXT_POOL_HPP
#define BLITZ_IO_CONTEXT_POOL_HPP

#include <blitz/executor_work_guard.hpp>
#include <blitz/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace blitz {

class io_context_pool
{
public:
  // One context per hardware thread.
  io_context_pool();
  // Throws std::invalid_argument for n == 0.
  explicit io_context_pool(std::size_t n, const io_context::options& opts = io_context::options());
  io_context_pool(const io_context_pool&) = delete;
  io_context_pool& operator=(const io_context_pool&) = delete;
  // stop(), then join() (an exception a handler threw is dropped here).
  ~io_context_pool();

  // Starts one thread per context; does nothing if they are already running. After stop()
  // and join(), starts them again (the contexts are restarted).
  void run();
  // Stops every context; their threads leave run() as soon as their current handler returns.
  void stop();
  // Waits for the threads; rethrows the first exception that escaped a handler.
  void join();

  // Round-robin over the contexts; safe from any thread.
  io_context& get_io_context() noexcept;
  io_context& context(std::size_t i) noexcept { return *contexts_[i]; }
  std::size_t size() const noexcept { return contexts_.size(); }

private:
  void thread_main(std::size_t i) noexcept;

  std::vector<std::unique_ptr<io_context>> contexts_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_; // guards everything below
  std::vector<executor_work_guard<io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::exception_ptr error_;
};

} // namespace blitz

#endif
