// Steady state makes no heap allocation per operation: global operator new is replaced by a
// counting one and 10,000 echo round trips (and timer waits) after a warm-up must not call
// it once.
#define BOOST_TEST_MODULE zero_alloc
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include "counting_new.hpp"

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

struct echo_pair
{
  blitz::io_context ctx;
  tcp::acceptor acceptor{ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0)};
  tcp::socket client{ctx}, server{ctx};
  char sbuf[256], cbuf[64], msg[64];
  int remaining = 0;

  echo_pair()
  {
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(tcp::no_delay(true));
    server.set_option(tcp::no_delay(true));
    for (int i = 0; i < 64; ++i)
      msg[i] = static_cast<char>(i);
  }

  // Server: Asio-style read_some -> write loop.
  void serve()
  {
    server.async_read_some(blitz::buffer(sbuf), [this](const error_code& ec, std::size_t n) {
      if (ec)
        return;
      blitz::async_write(server, blitz::buffer(sbuf, n), [this](const error_code& ec, std::size_t) {
        if (!ec)
          serve();
      });
    });
  }

  // Client: write 64 bytes, read 64 back, repeat.
  void ping()
  {
    blitz::async_write(client, blitz::buffer(msg), [this](const error_code& ec, std::size_t) {
      if (ec)
        return;
      blitz::async_read(client, blitz::buffer(cbuf), [this](const error_code& ec, std::size_t) {
        if (ec)
          return;
        if (--remaining > 0)
          ping();
        else
          server.cancel();
      });
    });
  }

  void round_trips(int n)
  {
    remaining = n;
    serve();
    ping();
    ctx.restart();
    ctx.run();
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(counter_works)
{
  long before = allocations.load();
  std::unique_ptr<int> p(new int(1));
  BOOST_TEST(allocations.load() == before + 1);
}

BOOST_AUTO_TEST_CASE(echo_round_trips_allocate_nothing)
{
  echo_pair e;
  e.round_trips(1000); // warm-up: fills the slab caches
  BOOST_TEST(e.cbuf[63] == 63);
  long before = allocations.load();
  e.round_trips(10000);
  long after = allocations.load();
  BOOST_TEST(after - before == 0);
  BOOST_TEST(e.remaining == 0);
  BOOST_TEST(e.cbuf[10] == 10);
}

BOOST_AUTO_TEST_CASE(posts_and_timers_allocate_nothing)
{
  blitz::io_context ctx;
  blitz::steady_timer t(ctx);
  int left = 0;
  std::function<void()> chain;
  auto cycle = [&](int n) {
    left = n;
    struct step
    {
      blitz::io_context& ctx;
      blitz::steady_timer& t;
      int& left;
      void operator()() const
      {
        if (--left <= 0)
          return;
        step next = *this;
        t.expires_after(std::chrono::microseconds(0));
        t.async_wait([next](const error_code&) { blitz::post(next.ctx, next); });
      }
    };
    blitz::post(ctx, step{ctx, t, left});
    ctx.restart();
    ctx.run();
  };
  cycle(100);
  long before = allocations.load();
  cycle(10000);
  BOOST_TEST(allocations.load() - before == 0);
  BOOST_TEST(left == 0);
}

// A context that is never run (synchronous calls only, common in Asio-era clients) still
// frees the state of every socket it closes: on epoll it used to wait for a reap that never
// came, so each socket opened and closed grew the process by its state.
BOOST_AUTO_TEST_CASE(sockets_closed_on_a_context_never_run_are_freed)
{
  blitz::io_context ctx;
  auto cycle = [&] {
    tcp::socket s(ctx);
    s.open(tcp::v4());
    s.close();
  };
  for (int i = 0; i < 64; ++i)
    cycle(); // warm-up: the slab pools get their first blocks
  long before = allocations.load();
  for (int i = 0; i < 20000; ++i)
    cycle();
  BOOST_TEST(allocations.load() - before == 0);
}
