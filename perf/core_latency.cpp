// How long a cache line takes to go from CPU 0 to CPU 1 and back: two threads, pinned one
// to each CPU, hand a counter back and forth. tools/bench runs it before each round of micro
// benchmarks. On a virtual machine this figure changes several-fold over seconds as the host
// places the two vCPUs on nearby or distant cores, and every cross-thread benchmark (blitz's
// and Asio's alike) speeds up or slows down with it.
//
//   core_latency [CPU_A CPU_B]    prints: core_latency_ns=<median of 5 samples>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

alignas(64) std::atomic<long> baton{0};

bool pin(int cpu)
{
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Nanoseconds per round trip over `trips` hand-overs.
double sample(int cpu_a, int cpu_b, long trips)
{
  baton.store(0, std::memory_order_relaxed);
  // Acquire/release: each side must see the other's latest value, nothing more; the
  // round trip of the line is what is timed.
  std::thread echo([=] {
    pin(cpu_b);
    for (long i = 0; i < trips; ++i)
    {
      while (baton.load(std::memory_order_acquire) != 2 * i + 1)
      {
      }
      baton.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin(cpu_a);
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < trips; ++i)
  {
    baton.store(2 * i + 1, std::memory_order_release);
    while (baton.load(std::memory_order_acquire) != 2 * i + 2)
    {
    }
  }
  auto end = std::chrono::steady_clock::now();
  echo.join();
  return std::chrono::duration<double, std::nano>(end - start).count() / static_cast<double>(trips);
}

} // namespace

int main(int argc, char** argv)
{
  int a = argc > 2 ? std::atoi(argv[1]) : 0;
  int b = argc > 2 ? std::atoi(argv[2]) : 1;
  if (!pin(a) || !pin(b))
  {
    std::fprintf(stderr, "core_latency: cannot run on CPUs %d and %d\n", a, b);
    return 1;
  }
  std::vector<double> samples;
  for (int i = 0; i < 5; ++i)
    samples.push_back(sample(a, b, 20000));
  std::sort(samples.begin(), samples.end());
  std::printf("core_latency_ns=%.0f\n", samples[samples.size() / 2]);
  return 0;
}
