// Handler associations: a handler's associated executor decides where its completion runs
// (also for the intermediate steps of composed operations), and its associated allocator
// provides the memory of its operation's state.
#define BOOST_TEST_MODULE handlers
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <memory>
#include <thread>

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

std::atomic<long> custom_allocs{0}, custom_frees{0};

// A minimal counting allocator, as Asio users write for handler memory.
template <class T>
struct counting_allocator
{
  using value_type = T;
  counting_allocator() = default;
  template <class U>
  counting_allocator(const counting_allocator<U>&) noexcept
  {
  }
  T* allocate(std::size_t n)
  {
    ++custom_allocs;
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept
  {
    ++custom_frees;
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const counting_allocator<U>&) const noexcept
  {
    return true;
  }
  template <class U>
  bool operator!=(const counting_allocator<U>&) const noexcept
  {
    return false;
  }
};

// A handler type with its own allocator, the pre-bind_allocator way.
struct allocating_handler
{
  int* calls;
  using allocator_type = counting_allocator<char>;
  allocator_type get_allocator() const noexcept { return allocator_type(); }
  void operator()(const error_code&) const { ++*calls; }
  void operator()(const error_code&, std::size_t) const { ++*calls; }
};

using blitz_test::connected_pair;

} // namespace

BOOST_AUTO_TEST_CASE(associated_executor_defaults_and_bound)
{
  blitz::io_context ctx;
  auto plain = [] {};
  static_assert(std::is_same<blitz::associated_executor_t<decltype(plain)>,
                             blitz::default_completion_executor>::value,
                "a plain lambda names no executor");
  auto bound = blitz::bind_executor(ctx, plain);
  BOOST_TEST((blitz::get_associated_executor(bound) == ctx.get_executor()));
  BOOST_TEST((blitz::get_associated_executor(plain, ctx.get_executor()) == ctx.get_executor()));
}

BOOST_AUTO_TEST_CASE(completion_bound_to_other_context_runs_there)
{
  connected_pair p;
  blitz::io_context other;
  bool ran_on_other = false, ran_on_first = true;
  blitz::write(p.server, blitz::buffer("x", 1));
  char c;
  p.client.async_read_some(blitz::buffer(&c, 1),
                           blitz::bind_executor(other, [&](const error_code& ec, std::size_t n) {
                             BOOST_TEST(!ec);
                             BOOST_TEST(n == 1u);
                             ran_on_other = other.get_executor().running_in_this_thread();
                             ran_on_first = p.ctx.get_executor().running_in_this_thread();
                           }));
  p.ctx.run(); // completes the read, hands the handler to `other`
  BOOST_TEST(!ran_on_other);
  other.run();
  BOOST_TEST(ran_on_other);
  BOOST_TEST(!ran_on_first);
}

BOOST_AUTO_TEST_CASE(composed_read_steps_follow_the_bound_executor)
{
  connected_pair p;
  blitz::io_context other;
  std::thread writer([&] {
    for (int i = 0; i < 4; ++i)
    {
      blitz::write(p.server, blitz::buffer("ab", 2));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  char buf[8];
  std::size_t got = 0;
  blitz::async_read(p.client, blitz::buffer(buf),
                    blitz::bind_executor(other.get_executor(), [&](const error_code& ec, std::size_t n) {
                      BOOST_TEST(!ec);
                      got = n;
                    }));
  // Each step completes on p.ctx and continues on `other`: drive both until done.
  for (int i = 0; i < 2000 && got == 0; ++i)
  {
    p.ctx.restart();
    p.ctx.run_for(std::chrono::milliseconds(1));
    other.restart();
    other.poll();
  }
  writer.join();
  BOOST_TEST(got == 8u);
  BOOST_TEST(std::string(buf, 8) == "abababab");
}

BOOST_AUTO_TEST_CASE(associated_allocator_provides_op_memory)
{
  connected_pair p;
  int calls = 0;
  long a0 = custom_allocs, f0 = custom_frees;
  blitz::steady_timer t(p.ctx, std::chrono::milliseconds(1));
  t.async_wait(allocating_handler{&calls});
  blitz::write(p.server, blitz::buffer("abcd", 4));
  char buf[4];
  blitz::async_read(p.client, blitz::buffer(buf), allocating_handler{&calls});
  p.ctx.run();
  BOOST_TEST(calls == 2);
  BOOST_TEST(custom_allocs - a0 >= 2);
  BOOST_TEST(custom_allocs - a0 == custom_frees - f0); // every block went back
}

BOOST_AUTO_TEST_CASE(bind_allocator_and_post)
{
  blitz::io_context ctx;
  long a0 = custom_allocs, f0 = custom_frees;
  int n = 0;
  blitz::post(ctx, blitz::bind_allocator(counting_allocator<int>(), [&] { ++n; }));
  BOOST_TEST(custom_allocs - a0 == 1);
  ctx.run();
  BOOST_TEST(n == 1);
  BOOST_TEST(custom_frees - f0 == 1);
}

BOOST_AUTO_TEST_CASE(destroyed_op_returns_memory_to_its_allocator)
{
  long a0 = custom_allocs, f0 = custom_frees;
  int calls = 0;
  {
    blitz::io_context ctx;
    blitz::steady_timer t(ctx, std::chrono::hours(1));
    t.async_wait(allocating_handler{&calls});
  }
  // The timer's destructor queued the aborted wait; the context died before running it, so
  // the handler was destroyed, not invoked, and its memory still went back.
  BOOST_TEST(calls == 0);
  BOOST_TEST(custom_allocs - a0 == custom_frees - f0);
}

BOOST_AUTO_TEST_CASE(post_honours_the_handlers_bound_executor)
{
  // post(ctx, bind_executor(other, f)) queues on ctx and runs f on `other`, as in Asio.
  blitz::io_context ctx, other;
  bool on_other = false, ran = false;
  blitz::post(ctx, blitz::bind_executor(other, [&] {
                ran = true;
                on_other = other.get_executor().running_in_this_thread();
              }));
  ctx.run();
  BOOST_TEST(!ran); // handed over to `other`, not run here
  other.run();
  BOOST_TEST(ran);
  BOOST_TEST(on_other);
}
