// The op memory pool's depot: a burst of ops is recycled while it lasts, its memory beyond
// the resident budget goes back to the heap when the process next blocks, and the burst
// allowance itself is bounded. Global operator new is replaced by a counting one.
#define BOOST_TEST_MODULE slab_pool
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>
#include <blitz/detail/slab_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "counting_new.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace {

constexpr std::size_t MiB = std::size_t(1) << 20;
// slab_pool.cpp's budgets: what a class's depot keeps for good, and what all classes
// together may keep on top of that until the process idles.
constexpr std::size_t resident = 8 * MiB;
constexpr std::size_t burst = 64 * MiB;
// Three times what the smallest class (32 B) keeps resident.
constexpr long burst_posts = 3 * static_cast<long>(resident / 32);

// Posts burst_posts handlers from outside run(), then runs them all.
void post_burst(blitz::io_context& ctx)
{
  long ran = 0;
  for (long i = 0; i < burst_posts; ++i)
    blitz::post(ctx, [&ran] { ++ran; });
  ctx.run();
  ctx.restart();
  BOOST_REQUIRE_EQUAL(ran, burst_posts);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_second_burst_of_posts_allocates_nothing)
{
  blitz::io_context ctx;
  post_burst(ctx);
  long before = allocations.load();
  post_burst(ctx);
  BOOST_TEST(allocations.load() - before == 0);
}

BOOST_AUTO_TEST_CASE(blocking_hands_burst_memory_back)
{
  blitz::io_context ctx;
  // A wait that blocks with nothing in the depots beyond their budgets trims nothing.
  blitz::steady_timer t(ctx, std::chrono::milliseconds(1));
  t.async_wait([](const boost::system::error_code&) {});
  ctx.run();
  ctx.restart();
  std::size_t baseline = blitz::detail::slab_depot_bytes();
  post_burst(ctx);
  std::size_t after_burst = blitz::detail::slab_depot_bytes();
  // The burst's blocks wait in the depot for the next burst: beyond the budget alone.
  BOOST_TEST(after_burst >= baseline + resident);

  int fired = 0;
  t.expires_after(std::chrono::milliseconds(20));
  t.async_wait([&](const boost::system::error_code& ec) {
    BOOST_TEST(!ec);
    ++fired;
  });
  ctx.run();
  BOOST_TEST(fired == 1);
  // Blocking for the timer trimmed the smallest class back to its resident budget.
  BOOST_TEST(blitz::detail::slab_depot_bytes() <= baseline + resident);
}

BOOST_AUTO_TEST_CASE(burst_allowance_is_bounded)
{
  while (blitz::detail::slab_trim(64))
  {
  }
  std::size_t baseline = blitz::detail::slab_depot_bytes();
  // 4 KiB blocks, the largest class: twice the whole burst allowance plus its budget.
  constexpr std::size_t block = 4096;
  std::vector<void*> blocks((2 * burst + resident) / block);
  for (void*& p : blocks)
    p = blitz::detail::slab_allocate(block);
  for (void* p : blocks)
    blitz::detail::slab_deallocate(p, block);
  std::size_t kept = blitz::detail::slab_depot_bytes() - baseline;
  // Everything up to the budget plus the allowance is kept, the rest went to the heap.
  BOOST_TEST(kept <= resident + burst);
  BOOST_TEST(kept >= resident + burst - MiB);

  // Trimming returns exactly the allowance; repeated calls until it reports none left.
  int calls = 0;
  while (blitz::detail::slab_trim(16))
    ++calls;
  BOOST_TEST(calls >= 3); // 64 batches of 1 MiB, 16 per call
  BOOST_TEST(blitz::detail::slab_depot_bytes() - baseline <= resident);
  BOOST_TEST(!blitz::detail::slab_trim(16));
}

// Each class recycles its own blocks, last freed first out, with no heap call; a size one
// byte past the largest class goes to the heap every time; and a thread's cache, first
// used and then left behind when the thread ends, reaches the next thread through the
// depot rather than being lost.
BOOST_AUTO_TEST_CASE(classes_recycle_their_blocks_and_an_exiting_thread_hands_them_on)
{
  const std::size_t sizes[] = {1, 32, 33, 64, 200, 400, 1024, 2048, 4096};
  std::vector<void*> first;
  std::thread([&] {
    // A fresh thread: its first free adopts the cache.
    for (std::size_t size : sizes)
    {
      void* a = blitz::detail::slab_allocate(size);
      blitz::detail::slab_deallocate(a, size);
      long before = allocations.load();
      void* b = blitz::detail::slab_allocate(size);
      BOOST_TEST(allocations.load() - before == 0);
      BOOST_TEST(b == a);
      first.push_back(b);
    }
    long before = allocations.load();
    void* big = blitz::detail::slab_allocate(4097);
    blitz::detail::slab_deallocate(big, 4097);
    void* again = blitz::detail::slab_allocate(4097);
    BOOST_TEST(allocations.load() - before == 2);
    blitz::detail::slab_deallocate(again, 4097);
    for (std::size_t i = 0; i < first.size(); ++i)
      blitz::detail::slab_deallocate(first[i], sizes[i]);
  }).join();

  // The exited thread's lists went to the depot as batches, each on top of its class; a
  // new thread takes them back, the last block freed first, before asking the heap.
  std::thread([&] {
    long before = allocations.load();
    void* small = blitz::detail::slab_allocate(32);
    void* large = blitz::detail::slab_allocate(4096);
    BOOST_TEST(allocations.load() - before == 0);
    BOOST_TEST(small == first[1]); // sizes 1 and 32 share the smallest class
    BOOST_TEST(large == first.back());
    blitz::detail::slab_deallocate(small, 32);
    blitz::detail::slab_deallocate(large, 4096);
  }).join();
}

// A thread that only allocates takes a whole batch from the depot for its first block; when
// it exits, the rest of that batch goes back to the depot, not to the heap or nowhere.
BOOST_AUTO_TEST_CASE(a_thread_that_only_allocates_hands_back_the_rest_of_its_batch)
{
  constexpr std::size_t size = 128;
  // Make sure the depot holds a batch of this class: a thread frees more than a list
  // holds, so one full list moves to the depot, and the rest follows when it exits.
  std::thread([] {
    std::vector<void*> blocks(300);
    for (void*& p : blocks)
      p = blitz::detail::slab_allocate(size);
    for (void* p : blocks)
      blitz::detail::slab_deallocate(p, size);
  }).join();
  std::size_t before = blitz::detail::slab_depot_bytes();
  void* taken = nullptr;
  long heap_calls = -1;
  std::thread([&] {
    long start = allocations.load();
    taken = blitz::detail::slab_allocate(size);
    heap_calls = allocations.load() - start;
  }).join();
  BOOST_TEST(heap_calls == 0); // from the depot
  // The batch it took is back, as one (shorter) batch.
  BOOST_TEST(blitz::detail::slab_depot_bytes() == before);
  blitz::detail::slab_deallocate(taken, size);
}

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer (every tools/test run of this suite) a block is poisoned from the
// moment it is freed until the pool hands it out again, in a thread's list and in the depot
// alike, so that a use after free of an op or a descriptor is reported. Only the first two
// words stay readable: the list links, which LeakSanitizer must be able to follow.
namespace {

constexpr std::size_t links = 2 * sizeof(void*);

bool poisoned_past_links(const char* p, std::size_t size)
{
  if (__asan_region_is_poisoned(const_cast<char*>(p), links) != nullptr)
    return false;
  for (std::size_t i = links; i < size; ++i)
    if (!__asan_address_is_poisoned(p + i))
      return false;
  return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_freed_block_is_poisoned_until_it_is_handed_out_again)
{
  for (std::size_t size : {std::size_t(32), std::size_t(200), std::size_t(4096)})
  {
    char* a = static_cast<char*>(blitz::detail::slab_allocate(size));
    BOOST_TEST(__asan_region_is_poisoned(a, size) == nullptr);
    blitz::detail::slab_deallocate(a, size);
    BOOST_TEST(poisoned_past_links(a, size));
    char* b = static_cast<char*>(blitz::detail::slab_allocate(size));
    BOOST_TEST(b == a);
    BOOST_TEST(__asan_region_is_poisoned(b, size) == nullptr);
    blitz::detail::slab_deallocate(b, size);
  }

  // A thread frees more than its list holds: a full list moves to the depot as a batch,
  // the rest follows when the thread exits. All of it stays poisoned there, and a block
  // another thread takes back from the depot is whole again.
  constexpr std::size_t size = 512;
  std::vector<char*> blocks(300);
  std::thread([&] {
    for (char*& p : blocks)
      p = static_cast<char*>(blitz::detail::slab_allocate(size));
    for (char* p : blocks)
      blitz::detail::slab_deallocate(p, size);
  }).join();
  std::size_t still = 0;
  for (char* p : blocks)
    still += poisoned_past_links(p, size) ? 1 : 0;
  BOOST_TEST(still == blocks.size());
  std::thread([&] {
    char* p = static_cast<char*>(blitz::detail::slab_allocate(size));
    BOOST_TEST((std::find(blocks.begin(), blocks.end(), p) != blocks.end()));
    BOOST_TEST(__asan_region_is_poisoned(p, size) == nullptr);
    blitz::detail::slab_deallocate(p, size);
  }).join();
}
#endif
