// async_mutex: mutual exclusion for handlers, without blocking a thread (Tokio's Mutex,
// callback style): a semaphore with one permit, so lockers get it in arrival order.
//
//   m.async_lock([&](const boost::system::error_code& ec) {
//     if (ec) return;       // operation_aborted: cancel() or destruction
//     ... critical section, may span further asynchronous operations ...
//     m.unlock();
//   });
#ifndef BLITZ_ASYNC_MUTEX_HPP
#define BLITZ_ASYNC_MUTEX_HPP

#include <blitz/async_result.hpp>
#include <blitz/async_semaphore.hpp>

#include <utility>

namespace blitz {

class async_mutex
{
public:
  using executor_type = io_context::executor_type;

  explicit async_mutex(io_context& ctx) : sem_(ctx, 1) {}
  explicit async_mutex(const executor_type& ex) : sem_(ex, 1) {}

  executor_type get_executor() const noexcept { return sem_.get_executor(); }

  bool try_lock() { return sem_.try_acquire(); }

  // handler(error_code): success once the caller holds the lock.
  template <class Handler>
  auto async_lock(Handler&& handler)
  {
    return sem_.async_acquire(std::forward<Handler>(handler));
  }

  // By the holder only: the next queued locker gets the lock.
  void unlock() { sem_.release(); }

  // Queued lockers complete with operation_aborted; the holder keeps the lock.
  std::size_t cancel() { return sem_.cancel(); }

private:
  async_semaphore sem_;
};

} // namespace blitz

#endif
