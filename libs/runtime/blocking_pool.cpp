#include <blitz/detail/blocking_pool.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace blitz {
namespace detail {

namespace {
constexpr unsigned max_threads = 16;
constexpr std::chrono::seconds idle_timeout(10);
} // namespace

// Deliberately never destroyed: detached workers may still be finishing a getaddrinfo when
// static destructors run, and must find their queue alive.
struct blocking_pool::state
{
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> tasks; // guarded by mutex
  unsigned threads = 0;                    // guarded by mutex
  unsigned idle = 0;                       // guarded by mutex

  void worker()
  {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;)
    {
      while (tasks.empty())
      {
        ++idle;
        bool woke = ready.wait_for(lock, idle_timeout, [this] { return !tasks.empty(); });
        --idle;
        if (!woke)
        {
          --threads;
          return;
        }
      }
      std::function<void()> task = std::move(tasks.front());
      tasks.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
};

blocking_pool& blocking_pool::global()
{
  static blocking_pool* pool = [] {
    blocking_pool* p = new blocking_pool;
    p->state_ = new state;
    return p;
  }();
  return *pool;
}

void blocking_pool::submit(std::function<void()> task)
{
  state& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.tasks.push_back(std::move(task));
  if (s.idle > 0)
  {
    lock.unlock();
    s.ready.notify_one();
    return;
  }
  if (s.threads < max_threads)
  {
    ++s.threads;
    lock.unlock();
    std::thread([&s] { s.worker(); }).detach();
  }
  // Otherwise every thread is busy and the cap is reached: the task waits its turn.
}

unsigned blocking_pool::threads() const
{
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->threads;
}

} // namespace detail
} // namespace blitz
