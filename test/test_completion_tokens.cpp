// Completion tokens: async_result, async_initiate, async_completion, use_future, deferred,
// detached and async_compose, as Asio-era code uses them, on both backends.
#define BOOST_TEST_MODULE completion_tokens
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

using blitz::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

using blitz_test::connected_pair;

// Runs a context on a thread of its own until released, so that futures can be waited for.
struct background_run
{
  blitz::io_context& ctx;
  blitz::executor_work_guard<blitz::io_context::executor_type> work;
  std::thread thread;
  explicit background_run(blitz::io_context& c)
    : ctx(c), work(c.get_executor()), thread([this] { ctx.run(); })
  {
  }
  ~background_run()
  {
    work.reset();
    thread.join();
  }
};

template <class T>
bool ready_soon(std::future<T>& f)
{
  return f.wait_for(5s) == std::future_status::ready;
}

// Waits for a future and then for the io thread to have destroyed the handler that
// fulfilled it (handlers run one after another there, so a later post's completion shows
// it). A stored exception is then released by this thread alone: libstdc++ counts
// exception_ptr references in code ThreadSanitizer does not see, and would otherwise report
// the io thread's release racing with this thread's read of the exception.
template <class T>
bool settled(blitz::io_context& ctx, std::future<T>& f)
{
  if (!ready_soon(f))
    return false;
  std::future<void> after = blitz::post(ctx, blitz::use_future);
  if (!ready_soon(after))
    return false;
  after.get();
  return true;
}

// With an operation reading 4 bytes from p.server pending on sig's slot: 2 bytes arrive
// and the first step ends, then partial and total requests are ignored by the step that
// waits, and a terminal one ends it, and the operation, with operation_aborted.
void check_terminal_only(connected_pair& p, blitz::cancellation_signal& sig, const int& calls,
                         const error_code& got)
{
  blitz::write(p.client, blitz::buffer("ab", 2));
  p.ctx.run_for(20ms);
  sig.emit(blitz::cancellation_type::partial);
  sig.emit(blitz::cancellation_type::total);
  p.ctx.restart();
  p.ctx.run_for(20ms);
  BOOST_TEST(calls == 0);
  sig.emit(blitz::cancellation_type::terminal);
  p.ctx.restart();
  p.ctx.run_for(2s);
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
}

// What a future's get() threw as a runtime_error, or "" when it returned.
template <class T>
std::string runtime_error_of(std::future<T>& f)
{
  try
  {
    f.get();
  }
  catch (const std::runtime_error& e)
  {
    return e.what();
  }
  return "";
}

template <class T>
error_code error_of(std::future<T>& f)
{
  try
  {
    f.get();
  }
  catch (const boost::system::system_error& e)
  {
    return e.code();
  }
  return error_code();
}

// --- a token of the caller's own, in both customisation styles -----------------------------

// New style: async_result<ticket_token, ...>::initiate wraps the handler and returns a number.
struct ticket_token
{
  int* completions;
};

// Old style: completion_handler_type, a constructor taking it, get().
struct legacy_token
{
  std::string* log;
};

struct legacy_handler
{
  explicit legacy_handler(legacy_token t) : log(t.log) {}
  void operator()(const error_code& ec, std::size_t n) const
  {
    *log += ec ? "failed " : "read " + std::to_string(n);
  }
  std::string* log;
};

} // namespace

namespace blitz {

template <class Signature>
class async_result<ticket_token, Signature>
{
public:
  using return_type = int;
  template <class Initiation, class Token, class... Args>
  static int initiate(Initiation&& init, Token&& token, Args&&... args)
  {
    int* completions = token.completions;
    std::forward<Initiation>(init)(
        [completions](const error_code&, std::size_t) { ++*completions; },
        std::forward<Args>(args)...);
    return 42;
  }
};

template <>
class async_result<legacy_token, void(error_code, std::size_t)>
{
public:
  using completion_handler_type = legacy_handler;
  using return_type = std::string;
  explicit async_result(completion_handler_type& h) : log_(h.log) {}
  return_type get() { return "started, log was '" + *log_ + "'"; }

private:
  std::string* log_;
};

} // namespace blitz

namespace {

// --- initiating functions written the ways Asio-era code writes them ------------------------

// async_initiate with a generic lambda: writes the buffer twice, completes with the total.
template <class Token>
auto async_write_twice(tcp::socket& s, blitz::const_buffer b, Token&& token)
{
  return blitz::async_initiate<Token, void(error_code, std::size_t)>(
      [&s](auto handler, blitz::const_buffer data) {
        blitz::async_write(s, data,
                           [&s, data, handler = std::move(handler)](error_code ec,
                                                                     std::size_t n) mutable {
                             if (ec)
                               return handler(ec, n);
                             blitz::async_write(
                                 s, data,
                                 [n, handler = std::move(handler)](error_code ec2,
                                                                   std::size_t m) mutable {
                                   handler(ec2, n + m);
                                 });
                           });
      },
      token, b);
}

// async_completion, the pre-1.70 way.
template <class Token>
typename blitz::async_result<typename std::decay<Token>::type, void(error_code)>::return_type
async_legacy_wait(blitz::steady_timer& t, Token&& token)
{
  blitz::async_completion<Token, void(error_code)> init(token);
  t.async_wait(std::move(init.completion_handler));
  return init.result.get();
}

// Completions of several values, and of an exception_ptr.
template <class Token>
auto async_pair(blitz::io_context& ctx, int v, Token&& token)
{
  return blitz::async_initiate<Token, void(error_code, int, std::string)>(
      [&ctx](auto handler, int value) {
        blitz::post(ctx, [value, handler = std::move(handler)]() mutable {
          handler(error_code(), value, std::to_string(value));
        });
      },
      token, v);
}

template <class Token>
auto async_may_throw(blitz::io_context& ctx, bool fail, Token&& token)
{
  return blitz::async_initiate<Token, void(std::exception_ptr, int)>(
      [&ctx](auto handler, bool f) {
        blitz::post(ctx, [f, handler = std::move(handler)]() mutable {
          if (f)
            handler(std::make_exception_ptr(std::runtime_error("refused")), 0);
          else
            handler(nullptr, 7);
        });
      },
      token, fail);
}

// async_compose: reads until `want` bytes arrived, one read_some per step, and records on
// which strand each step ran.
struct read_exactly
{
  tcp::socket& s;
  std::string& out;
  std::size_t want;
  blitz::strand<blitz::io_context::executor_type>* strand;
  int* steps_off_strand;
  // Outside the implementation: `self` moves with every step, the memory a pending read
  // writes into must not.
  std::unique_ptr<char[]> chunk{new char[3]};

  template <class Self>
  void operator()(Self& self, error_code ec = error_code(), std::size_t n = 0)
  {
    if (self.invocations() > 1 && strand && !strand->running_in_this_thread())
      ++*steps_off_strand;
    out.append(chunk.get(), n);
    if (ec || out.size() >= want)
      return self.complete(ec, out.size());
    s.async_read_some(blitz::buffer(chunk.get(), std::min<std::size_t>(3, want - out.size())),
                      std::move(self));
  }
};

template <class Token>
auto async_read_exactly(tcp::socket& s, std::string& out, std::size_t want,
                        blitz::strand<blitz::io_context::executor_type>* strand,
                        int* steps_off_strand, Token&& token)
{
  return blitz::async_compose<Token, void(error_code, std::size_t)>(
      read_exactly{s, out, want, strand, steps_off_strand}, token, s);
}

} // namespace

BOOST_AUTO_TEST_CASE(use_future_delivers_values_and_errors)
{
  connected_pair p;
  tcp::socket accepted_later(p.ctx);
  blitz::steady_timer timer(p.ctx);
  char buf[5] = {};
  background_run run(p.ctx);

  std::future<std::size_t> wrote =
      blitz::async_write(p.client, blitz::buffer("hello", 5), blitz::use_future);
  std::future<std::size_t> read = blitz::async_read(p.server, blitz::buffer(buf), blitz::use_future);
  BOOST_REQUIRE(ready_soon(wrote) && ready_soon(read));
  BOOST_TEST(wrote.get() == 5u);
  BOOST_TEST(read.get() == 5u);
  BOOST_TEST(std::string(buf, 5) == "hello");

  // error_code signatures with no value: future<void>.
  timer.expires_after(1ms);
  std::future<void> fired = timer.async_wait(blitz::use_future);
  BOOST_REQUIRE(ready_soon(fired));
  BOOST_TEST(!error_of(fired));

  timer.expires_after(1h);
  std::future<void> cancelled = timer.async_wait(blitz::use_future);
  blitz::post(p.ctx, [&] { timer.cancel(); });
  BOOST_REQUIRE(settled(p.ctx, cancelled));
  BOOST_TEST((error_of(cancelled) == blitz::error::operation_aborted));

  // The move-accept form hands the socket through the future.
  std::future<tcp::socket> accepted = p.acceptor.async_accept(blitz::use_future);
  tcp::socket third(p.ctx);
  third.connect(p.acceptor.local_endpoint());
  BOOST_REQUIRE(ready_soon(accepted));
  tcp::socket s = accepted.get();
  BOOST_TEST(s.is_open());
  BOOST_TEST(s.remote_endpoint() == third.local_endpoint());

  // void() completions: post.
  std::future<void> posted = blitz::post(p.ctx, blitz::use_future);
  BOOST_REQUIRE(ready_soon(posted));
  posted.get();

  // A failed operation stores its error_code as a system_error.
  p.client.close();
  std::future<std::size_t> eof = p.server.async_read_some(blitz::buffer(buf), blitz::use_future);
  BOOST_REQUIRE(settled(p.ctx, eof));
  BOOST_TEST((error_of(eof) == blitz::error::eof));
}

BOOST_AUTO_TEST_CASE(use_future_with_several_values_and_with_exception_ptr)
{
  blitz::io_context ctx;
  background_run run(ctx);
  std::future<std::tuple<int, std::string>> both = async_pair(ctx, 12, blitz::use_future);
  BOOST_REQUIRE(ready_soon(both));
  std::tuple<int, std::string> v = both.get();
  BOOST_TEST(std::get<0>(v) == 12);
  BOOST_TEST(std::get<1>(v) == "12");

  std::future<int> good = async_may_throw(ctx, false, blitz::use_future);
  std::future<int> bad = async_may_throw(ctx, true, blitz::use_future);
  BOOST_REQUIRE(ready_soon(good) && settled(ctx, bad));
  BOOST_TEST(good.get() == 7);
  BOOST_TEST(runtime_error_of(bad) == "refused");
}

BOOST_AUTO_TEST_CASE(resolve_through_a_future)
{
  blitz::io_context ctx;
  tcp::resolver resolver(ctx);
  background_run run(ctx);
  auto results = resolver.async_resolve("127.0.0.1", "80", blitz::use_future);
  BOOST_REQUIRE(ready_soon(results));
  tcp::resolver::results_type r = results.get();
  BOOST_REQUIRE(!r.empty());
  BOOST_TEST(r.begin()->endpoint().port() == 80);
  auto missing = resolver.async_resolve("127.0.0.1", "no-such-service-blitz", blitz::use_future);
  BOOST_REQUIRE(settled(ctx, missing));
  BOOST_TEST((error_of(missing) == blitz::error::service_not_found));
}

BOOST_AUTO_TEST_CASE(deferred_operation_starts_only_when_given_a_token)
{
  connected_pair p;
  blitz::steady_timer timer(p.ctx, 1ms);
  auto wait = timer.async_wait(blitz::deferred);
  // Nothing was started, so the context has no work and run() returns at once.
  BOOST_TEST(p.ctx.run_for(50ms) == 0u);

  int calls = 0;
  error_code got = blitz::error::would_block;
  std::move(wait)([&](error_code ec) {
    ++calls;
    got = ec;
  });
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(!got);

  // Arguments are kept in the operation: the buffer and the completion condition.
  char buf[4] = {};
  auto read = blitz::async_read(p.server, blitz::buffer(buf), blitz::transfer_exactly(4),
                                blitz::deferred);
  blitz::write(p.client, blitz::buffer("abcd", 4));
  std::size_t n = 0;
  std::move(read)([&](error_code ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST(n == 4u);
  BOOST_TEST(std::string(buf, 4) == "abcd");

  // A deferred operation takes any token when started, a future among them.
  auto write = p.client.async_write_some(blitz::buffer("xy", 2), blitz::deferred);
  p.ctx.restart();
  background_run run(p.ctx);
  std::future<std::size_t> wrote = std::move(write)(blitz::use_future);
  BOOST_REQUIRE(ready_soon(wrote));
  BOOST_TEST(wrote.get() == 2u);
}

BOOST_AUTO_TEST_CASE(detached_runs_the_operation_and_drops_the_result)
{
  connected_pair p;
  blitz::async_write(p.client, blitz::buffer("xy", 2), blitz::detached);
  blitz::post(p.ctx, blitz::detached);
  BOOST_TEST(p.ctx.run() == 2u);
  char buf[2];
  BOOST_TEST(blitz::read(p.server, blitz::buffer(buf)) == 2u);
  BOOST_TEST(std::string(buf, 2) == "xy");
}

BOOST_AUTO_TEST_CASE(a_token_of_the_callers_own_in_either_style)
{
  connected_pair p;
  char buf[8];
  int completions = 0;
  blitz::write(p.client, blitz::buffer("abc", 3));
  int ticket = p.server.async_read_some(blitz::buffer(buf), ticket_token{&completions});
  BOOST_TEST(ticket == 42);
  p.ctx.run();
  BOOST_TEST(completions == 1);

  std::string log;
  blitz::write(p.client, blitz::buffer("defg", 4));
  std::string started = p.server.async_read_some(blitz::buffer(buf), legacy_token{&log});
  BOOST_TEST(started == "started, log was ''");
  p.ctx.restart();
  p.ctx.run();
  BOOST_TEST(log == "read 4");
}

BOOST_AUTO_TEST_CASE(initiating_functions_written_the_asio_way)
{
  connected_pair p;
  std::size_t total = 0;
  async_write_twice(p.client, blitz::buffer("ab", 2), [&](error_code ec, std::size_t n) {
    BOOST_TEST(!ec);
    total = n;
  });
  blitz::steady_timer timer(p.ctx, 1ms);
  int waited = 0;
  async_legacy_wait(timer, [&](error_code ec) { waited += ec ? 100 : 1; });
  p.ctx.run();
  BOOST_TEST(total == 4u);
  BOOST_TEST(waited == 1);
  char buf[4];
  BOOST_TEST(blitz::read(p.server, blitz::buffer(buf)) == 4u);
  BOOST_TEST(std::string(buf, 4) == "abab");

  // The same functions with the library's tokens.
  p.ctx.restart();
  background_run run(p.ctx);
  std::future<std::size_t> twice = async_write_twice(p.client, blitz::buffer("c", 1), blitz::use_future);
  timer.expires_after(1ms);
  std::future<void> legacy = async_legacy_wait(timer, blitz::use_future);
  BOOST_REQUIRE(ready_soon(twice) && ready_soon(legacy));
  BOOST_TEST(twice.get() == 2u);
  legacy.get();
}

BOOST_AUTO_TEST_CASE(async_compose_resumes_on_the_handlers_strand_and_completes_once)
{
  connected_pair p;
  auto strand = blitz::make_strand(p.ctx);
  std::string out;
  int off_strand = 0;
  int calls = 0;
  std::size_t got = 0;
  async_read_exactly(p.server, out, 7, &strand, &off_strand,
                     blitz::bind_executor(strand, [&](error_code ec, std::size_t n) {
                       BOOST_TEST(!ec);
                       BOOST_TEST(strand.running_in_this_thread());
                       ++calls;
                       got = n;
                     }));
  // Two threads run the context: steps off the strand would show.
  std::thread writer([&] {
    for (const char* piece : {"ab", "cde", "fg"})
    {
      blitz::write(p.client, blitz::buffer(piece, std::strlen(piece)));
      std::this_thread::sleep_for(5ms);
    }
  });
  std::thread second([&] { p.ctx.run(); });
  p.ctx.run();
  second.join();
  writer.join();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == 7u);
  BOOST_TEST(out == "abcdefg");
  BOOST_TEST(off_strand == 0);

  // With a future, and an error ending it early.
  p.ctx.restart();
  background_run run(p.ctx);
  std::string rest;
  std::future<std::size_t> f = async_read_exactly(p.server, rest, 10, nullptr, &off_strand,
                                                  blitz::use_future);
  blitz::write(p.client, blitz::buffer("xyz", 3));
  blitz::post(p.ctx, [&] { p.client.close(); });
  BOOST_REQUIRE(settled(p.ctx, f));
  BOOST_TEST((error_of(f) == blitz::error::eof));
  BOOST_TEST(rest == "xyz");
}

// The composed operation holds work on its I/O objects' executors: run() does not return
// while a step is in progress elsewhere (here, on a thread of the test's own).
namespace {

struct hand_off
{
  std::thread* elsewhere;
  std::atomic<bool>* stepped;
  template <class Self>
  void operator()(Self& self)
  {
    std::atomic<bool>* flag = stepped;
    *elsewhere = std::thread([s = std::move(self), flag]() mutable {
      std::this_thread::sleep_for(30ms);
      flag->store(true);
      s.complete(error_code());
    });
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(async_compose_keeps_the_context_busy_between_steps)
{
  blitz::io_context ctx;
  std::thread elsewhere;
  std::atomic<bool> stepped{false};
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  auto handler = [&](error_code ec) { // runs on the other thread: no Boost.Test call here
    ++(ec ? failures : calls);
  };
  blitz::async_compose<decltype(handler)&, void(error_code)>(hand_off{&elsewhere, &stepped},
                                                             handler, ctx);
  ctx.run();
  BOOST_TEST(stepped.load()); // run() waited for the step that ran elsewhere
  elsewhere.join();
  BOOST_TEST(calls.load() == 1);
  BOOST_TEST(failures.load() == 0);
}

namespace {

// Completes with `self.complete({}, 0)` after resuming itself once through post: complete()
// is typed by the signature, and get_io_executor() names the I/O object's executor.
struct post_then_complete
{
  bool* io_executor_matched;
  blitz::io_context* ctx;
  template <class Self>
  void operator()(Self& self)
  {
    if (self.invocations() == 1)
    {
      *io_executor_matched = self.get_io_executor() == ctx->get_executor();
      return blitz::post(ctx->get_executor(), std::move(self));
    }
    self.complete({}, 0);
  }
};

std::atomic<long> counted_allocations{0};

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
    ++counted_allocations;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
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

} // namespace

BOOST_AUTO_TEST_CASE(async_compose_complete_takes_the_signatures_types)
{
  blitz::io_context ctx;
  bool matched = false;
  error_code got = blitz::error::would_block;
  std::size_t n = 99;
  auto handler = [&](error_code ec, std::size_t k) {
    got = ec;
    n = k;
  };
  blitz::async_compose<decltype(handler)&, void(error_code, std::size_t)>(
      post_then_complete{&matched, &ctx}, handler, ctx);
  BOOST_TEST(n == 99u); // not inside the initiating function
  ctx.run();
  BOOST_TEST(matched);
  BOOST_TEST(!got);
  BOOST_TEST(n == 0u);
}

// Asio's default for async_compose: terminal cancellation reaches the pending step; partial
// and total requests are ignored.
BOOST_AUTO_TEST_CASE(async_compose_honours_terminal_cancellation_only)
{
  connected_pair p;
  blitz::cancellation_signal sig;
  std::string out;
  int off_strand = 0;
  int calls = 0;
  error_code got;
  async_read_exactly(p.server, out, 4, nullptr, &off_strand,
                     blitz::bind_cancellation_slot(sig.slot(), [&](error_code ec, std::size_t) {
                       ++calls;
                       got = ec;
                     }));
  check_terminal_only(p, sig, calls, got);
  BOOST_TEST(out == "ab");
}

BOOST_AUTO_TEST_CASE(thread_pool_submission_and_future_allocator)
{
  blitz::thread_pool pool(1);
  std::future<void> ran = blitz::post(pool, blitz::use_future);
  BOOST_REQUIRE(ready_soon(ran));
  ran.get();

  blitz::io_context ctx;
  background_run run(ctx);
  long before = counted_allocations.load();
  std::future<void> posted = blitz::post(ctx, blitz::use_future[counting_allocator<int>()]);
  BOOST_REQUIRE(ready_soon(posted));
  posted.get();
  // The promise with its reference count, its shared state and result slot (libstdc++), and
  // the posted operation: all from the token's allocator, none from the heap directly.
  BOOST_TEST(counted_allocations.load() - before == 4);
  pool.join();
}

BOOST_AUTO_TEST_CASE(offload_through_a_future)
{
  blitz::thread_pool pool(2);
  std::future<int> sum = blitz::offload(pool, [] { return 20 + 22; }, blitz::use_future);
  std::future<void> failed = blitz::offload(
      pool, []() -> void { throw std::runtime_error("no"); }, blitz::use_future);
  BOOST_REQUIRE(ready_soon(sum) && ready_soon(failed));
  pool.join(); // the workers are done with the handlers: see settled()
  BOOST_TEST(sum.get() == 42);
  BOOST_TEST(runtime_error_of(failed) == "no");
}

BOOST_AUTO_TEST_CASE(channels_and_locks_take_tokens)
{
  blitz::io_context ctx;
  blitz::channel<std::string> ch(ctx, 1);
  blitz::async_mutex mutex(ctx);
  background_run run(ctx);

  std::future<void> sent = ch.async_send(std::string("first"), blitz::use_future);
  std::future<std::string> got = ch.async_receive(blitz::use_future);
  BOOST_REQUIRE(ready_soon(sent) && ready_soon(got));
  sent.get();
  BOOST_TEST(got.get() == "first");

  std::future<void> locked = mutex.async_lock(blitz::use_future);
  BOOST_REQUIRE(ready_soon(locked));
  locked.get();
  // A deferred lock waits for its token, then for the holder to unlock.
  auto second = mutex.async_lock(blitz::deferred);
  std::future<void> second_locked = std::move(second)(blitz::use_future);
  BOOST_TEST((second_locked.wait_for(20ms) == std::future_status::timeout));
  blitz::post(ctx, [&] { mutex.unlock(); });
  BOOST_REQUIRE(ready_soon(second_locked));
  second_locked.get();
  blitz::post(ctx, [&] { mutex.unlock(); });

  ch.close();
  std::future<std::string> closed = ch.async_receive(blitz::use_future);
  BOOST_REQUIRE(settled(ctx, closed));
  BOOST_TEST((error_of(closed) == blitz::error::channel_closed));
}

namespace {

// Waits on a timer, then reads through async_read (a composed operation completing `self`),
// so that both kinds of step are pending in turn.
struct wait_then_read
{
  blitz::steady_timer& timer;
  tcp::socket& s;
  char* buf;
  std::string* log;
  template <class Self>
  void operator()(Self& self, error_code ec = error_code(), std::size_t n = 0)
  {
    switch (self.invocations())
    {
    case 1:
      timer.expires_after(1h);
      return timer.async_wait(std::move(self));
    case 2:
      *log += ec ? "timer:" + ec.message() + " " : "timer ";
      if (ec)
        return self.complete(ec, 0);
      return blitz::async_read(s, blitz::buffer(buf, 4), std::move(self));
    default:
      self.complete(ec, n);
    }
  }
};

// Reads through async_read with `self` bound to a strand: a composed step in a binder.
struct read_on_strand
{
  tcp::socket& s;
  char* buf;
  blitz::strand<blitz::io_context::executor_type> strand;
  template <class Self>
  void operator()(Self& self, error_code ec = error_code(), std::size_t n = 0)
  {
    if (self.invocations() == 1)
      return blitz::async_read(s, blitz::buffer(buf, 4),
                               blitz::bind_executor(strand, std::move(self)));
    self.complete(ec, n);
  }
};

} // namespace

// A composed operation's steps honour what the operation does (terminal only), whatever
// the step: a timer wait or a composed read, and also when `self` is bound to a strand.
BOOST_AUTO_TEST_CASE(async_compose_filters_cancellation_for_every_kind_of_step)
{
  connected_pair p;
  blitz::steady_timer timer(p.ctx);
  blitz::cancellation_signal sig;
  char buf[4];
  std::string log;
  int calls = 0;
  error_code got;
  auto handler = blitz::bind_cancellation_slot(sig.slot(), [&](error_code ec, std::size_t) {
    ++calls;
    got = ec;
  });
  blitz::async_compose<decltype(handler)&, void(error_code, std::size_t)>(
      wait_then_read{timer, p.server, buf, &log}, handler, p.server);
  p.ctx.poll();
  sig.emit(blitz::cancellation_type::partial); // the timer step ignores it
  sig.emit(blitz::cancellation_type::total);
  p.ctx.poll();
  BOOST_TEST(log.empty());
  timer.cancel(); // the timer step ends; the read step starts
  p.ctx.poll();
  BOOST_TEST(log == "timer:" + error_code(blitz::error::operation_aborted).message() + " ");
  BOOST_TEST(calls == 1); // the implementation completed on the aborted timer
  BOOST_TEST((got == blitz::error::operation_aborted));

  // Now the read step: partial and total are ignored, terminal ends it.
  log.clear();
  calls = 0;
  std::string log2;
  auto handler2 = blitz::bind_cancellation_slot(sig.slot(), [&](error_code ec, std::size_t) {
    ++calls;
    got = ec;
  });
  p.ctx.restart();
  blitz::async_compose<decltype(handler2)&, void(error_code, std::size_t)>(
      read_on_strand{p.server, buf, blitz::make_strand(p.ctx)}, handler2, p.server);
  check_terminal_only(p, sig, calls, got);
}

// A token inside a binder or cancel_after: the handler it makes is bound the same way.
BOOST_AUTO_TEST_CASE(tokens_inside_binders_and_cancel_after)
{
  connected_pair p;
  auto strand = blitz::make_strand(p.ctx);
  blitz::steady_timer timer(p.ctx, 1ms);

  // Deferred inside bind_executor: started later with a plain handler, which runs on the
  // strand.
  auto wait = timer.async_wait(blitz::bind_executor(strand, blitz::deferred));
  bool on_strand = false;
  std::move(wait)([&](error_code) { on_strand = strand.running_in_this_thread(); });
  p.ctx.run();
  BOOST_TEST(on_strand);

  // Futures inside bind_cancellation_slot and cancel_after.
  p.ctx.restart();
  background_run run(p.ctx);
  char buf[4];
  blitz::cancellation_signal sig;
  std::future<std::size_t> cancelled =
      p.server.async_read_some(blitz::buffer(buf), blitz::bind_cancellation_slot(sig.slot(), blitz::use_future));
  std::this_thread::sleep_for(10ms);
  blitz::post(p.ctx, [&] { sig.emit(blitz::cancellation_type::terminal); });
  BOOST_REQUIRE(settled(p.ctx, cancelled));
  BOOST_TEST((error_of(cancelled) == blitz::error::operation_aborted));

  std::future<std::size_t> timed_out =
      p.server.async_read_some(blitz::buffer(buf), blitz::cancel_after(20ms, blitz::use_future));
  BOOST_REQUIRE(settled(p.ctx, timed_out));
  BOOST_TEST((error_of(timed_out) == blitz::error::operation_aborted));

  // And bind_allocator around a future: the operation's memory comes from the allocator.
  long before = counted_allocations.load();
  std::future<void> posted =
      blitz::post(p.ctx, blitz::bind_allocator(counting_allocator<int>(), blitz::use_future));
  BOOST_REQUIRE(ready_soon(posted));
  posted.get();
  BOOST_TEST(counted_allocations.load() - before == 1); // the posted operation
}
