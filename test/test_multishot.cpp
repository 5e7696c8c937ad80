// Multishot accept, receives into pool buffers (single-shot and multishot), buffer pool
// growth, exhaustion and recovery. tools/test runs the suite on io_uring (native multishot,
// provided-buffer rings) and on epoll (the same contracts emulated).
#define BOOST_TEST_MODULE multishot
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using blitz::ip::tcp;
using boost::system::error_code;
using blitz_test::connected_pair;
using namespace std::chrono_literals;

namespace {

tcp::endpoint loopback0() { return tcp::endpoint(blitz::ip::address_v4::loopback(), 0); }

// n connected TCP pairs over loopback, client i talking to server i.
void connect_pairs(blitz::io_context& ctx, int n, std::vector<tcp::socket>& clients,
                   std::vector<tcp::socket>& servers)
{
  tcp::acceptor acceptor(ctx, loopback0());
  for (int i = 0; i < n; ++i)
  {
    clients.emplace_back(ctx);
    clients.back().connect(acceptor.local_endpoint());
    servers.emplace_back(ctx);
    acceptor.accept(servers.back());
  }
}

// Runs ctx until pred() holds or the time is up (no test waits for ever).
template <class Pred>
bool run_until(blitz::io_context& ctx, Pred pred, std::chrono::milliseconds limit = 10000ms)
{
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < end)
  {
    ctx.restart();
    ctx.run_for(5ms);
  }
  return pred();
}

// A receive on server takes one of pool's buffers and keeps it in held.
void lend_one_buffer(blitz::io_context& ctx, blitz::buffer_pool& pool, tcp::socket& client,
                     tcp::socket& server, std::vector<blitz::pooled_buffer>& held)
{
  std::size_t before = held.size();
  server.async_receive(pool, [&held](const error_code&, blitz::pooled_buffer b) {
    held.push_back(std::move(b));
  });
  blitz::write(client, blitz::buffer("a", 1));
  BOOST_TEST(run_until(ctx, [&] { return held.size() == before + 1; }));
}

} // namespace

BOOST_AUTO_TEST_CASE(multishot_accept_takes_1000_connections_then_ends_once_on_cancel)
{
  blitz_test::raise_fd_limit(4096);
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback0());
  acceptor.listen(1024);
  std::vector<tcp::socket> accepted;
  int errors = 0;
  error_code last;
  auto alive = std::make_shared<int>(0);
  acceptor.async_accept_multishot([&, alive](const error_code& ec, tcp::socket s) {
    if (ec)
    {
      ++errors;
      last = ec;
      return;
    }
    BOOST_REQUIRE(s.is_open());
    accepted.push_back(std::move(s));
  });

  std::vector<tcp::socket> clients;
  for (int i = 0; i < 1000; ++i)
  {
    clients.emplace_back(ctx);
    clients.back().connect(acceptor.local_endpoint());
    if (i % 100 == 99)
      ctx.poll(); // keep the listen queue short; accepts happen while clients connect
  }
  BOOST_TEST(run_until(ctx, [&] { return accepted.size() == 1000; }));
  BOOST_TEST(accepted.size() == 1000u);
  BOOST_TEST(errors == 0);

  // Each accepted socket is a distinct, working connection: a byte from every client
  // arrives on exactly one accepted socket.
  for (auto& c : clients)
    blitz::write(c, blitz::buffer("x", 1));
  std::size_t got = 0;
  for (auto& s : accepted)
  {
    char b;
    got += blitz::read(s, blitz::buffer(&b, 1));
  }
  BOOST_TEST(got == 1000u);

  acceptor.cancel();
  ctx.restart();
  ctx.run(); // returns: the multishot ended, nothing else is pending
  BOOST_TEST(errors == 1);
  BOOST_TEST((last == blitz::error::operation_aborted));
  BOOST_TEST(alive.use_count() == 1); // the op, and the handler copy it held, are gone
}

BOOST_AUTO_TEST_CASE(multishot_accept_ends_when_the_acceptor_closes)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback0());
  int calls = 0;
  error_code last;
  acceptor.async_accept_multishot([&](const error_code& ec, tcp::socket) {
    ++calls;
    last = ec;
  });
  ctx.poll();
  acceptor.close();
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((last == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(multishot_accept_on_closed_acceptor_reports_bad_descriptor)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx);
  int calls = 0;
  error_code last;
  acceptor.async_accept_multishot([&](const error_code& ec, tcp::socket) {
    ++calls;
    last = ec;
  });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((last == blitz::error::bad_descriptor));
}

BOOST_AUTO_TEST_CASE(multishot_accept_handler_never_overlaps_with_two_threads)
{
  blitz_test::raise_fd_limit(2048);
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback0());
  acceptor.listen(512);
  std::atomic<int> inside{0}, overlaps{0}, accepted{0}, ended{0};
  std::vector<tcp::socket> keep;
  acceptor.async_accept_multishot([&](const error_code& ec, tcp::socket s) {
    if (inside.fetch_add(1) != 0)
      ++overlaps;
    if (ec)
      ++ended;
    else
    {
      keep.push_back(std::move(s)); // safe only because calls never overlap
      ++accepted;
    }
    std::this_thread::yield();
    inside.fetch_sub(1);
  });
  auto guard = blitz::make_work_guard(ctx);
  std::thread t1([&] { ctx.run(); }), t2([&] { ctx.run(); });
  {
    blitz::io_context cctx;
    std::vector<tcp::socket> clients;
    for (int i = 0; i < 300; ++i)
    {
      clients.emplace_back(cctx);
      clients.back().connect(acceptor.local_endpoint());
    }
    auto end = std::chrono::steady_clock::now() + 10s;
    while (accepted.load() < 300 && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(1ms);
  }
  blitz::post(ctx, [&] { acceptor.cancel(); });
  auto end = std::chrono::steady_clock::now() + 10s;
  while (ended.load() == 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(1ms);
  guard.reset();
  ctx.stop();
  t1.join();
  t2.join();
  BOOST_TEST(accepted.load() == 300);
  BOOST_TEST(ended.load() == 1);
  BOOST_TEST(overlaps.load() == 0);
}

BOOST_AUTO_TEST_CASE(context_destroyed_with_multishot_pending_destroys_the_handler)
{
  auto alive = std::make_shared<int>(0);
  int calls = 0;
  {
    blitz::io_context ctx;
    tcp::acceptor acceptor(ctx, loopback0());
    tcp::socket s(ctx);
    s.connect(acceptor.local_endpoint());
    blitz::buffer_pool pool(ctx, 512, 4);
    acceptor.async_accept_multishot([&calls, alive](const error_code&, tcp::socket) { ++calls; });
    ctx.poll();
    // A connection accepted but not yet delivered, and a pending multishot receive.
    tcp::socket c2(ctx);
    c2.connect(acceptor.local_endpoint());
    s.async_receive_multishot(pool, [&calls, alive](const error_code&, blitz::pooled_buffer) { ++calls; });
  }
  BOOST_TEST(alive.use_count() == 1);
  BOOST_TEST(calls <= 1); // at most the first connection; never a call during destruction
}

BOOST_AUTO_TEST_CASE(pooled_receive_delivers_the_bytes_and_returns_the_buffer)
{
  connected_pair p;
  blitz::buffer_pool pool(p.ctx, 1024, 2);
  BOOST_TEST(pool.capacity() == 2u);
  BOOST_TEST(pool.available() == 2u);
  std::string got;
  error_code result = blitz::error::would_block;
  p.server.async_receive(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
    result = ec;
    BOOST_TEST(b.capacity() == 1024u);
    got.assign(static_cast<const char*>(b.data()), b.size());
  });
  p.ctx.poll();
  BOOST_TEST((result == blitz::error::would_block)); // still pending: no data yet
  BOOST_TEST(pool.available() == 2u);                 // and holding no buffer
  blitz::write(p.client, blitz::buffer(std::string("hello pool")));
  p.ctx.run();
  BOOST_TEST(!result);
  BOOST_TEST(got == "hello pool");
  BOOST_TEST(pool.available() == 2u); // the handle died with the handler
}

BOOST_AUTO_TEST_CASE(pooled_receive_reports_eof_without_a_buffer)
{
  connected_pair p;
  blitz::buffer_pool pool(p.ctx, 256, 1);
  error_code result;
  bool had_buffer = true;
  p.server.async_receive(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
    result = ec;
    had_buffer = static_cast<bool>(b);
  });
  p.client.close();
  p.ctx.run();
  BOOST_TEST((result == blitz::error::eof));
  BOOST_TEST(!had_buffer);
  BOOST_TEST(pool.available() == 1u);
}

BOOST_AUTO_TEST_CASE(pool_grows_when_receives_outnumber_its_buffers)
{
  blitz_test::raise_fd_limit(1024);
  blitz::io_context ctx;
  blitz::buffer_pool pool(ctx, 512, 1, 256);
  const int n = 40;
  std::vector<tcp::socket> clients, servers;
  connect_pairs(ctx, n, clients, servers);
  std::vector<blitz::pooled_buffer> held; // every buffer stays on loan: the pool must grow
  int errors = 0;
  for (auto& s : servers)
    s.async_receive(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
      if (ec)
        ++errors;
      held.push_back(std::move(b));
    });
  for (int i = 0; i < n; ++i)
  {
    std::string msg = "conn" + std::to_string(i);
    blitz::write(clients[static_cast<std::size_t>(i)], blitz::buffer(msg));
  }
  BOOST_TEST(run_until(ctx, [&] { return held.size() == static_cast<std::size_t>(n); }));
  BOOST_TEST(errors == 0);
  BOOST_TEST(pool.capacity() >= static_cast<unsigned>(n));
  int intact = 0;
  for (auto& b : held)
  {
    std::string s(static_cast<const char*>(b.data()), b.size());
    intact += s.compare(0, 4, "conn") == 0;
  }
  BOOST_TEST(intact == n);
  held.clear();
  BOOST_TEST(pool.available() == pool.capacity());
}

BOOST_AUTO_TEST_CASE(pool_exhausted_at_its_limit_recovers_when_buffers_come_back)
{
  blitz::io_context ctx;
  blitz::buffer_pool pool(ctx, 256, 4, 4); // cannot grow
  const int n = 8;
  std::vector<tcp::socket> clients, servers;
  connect_pairs(ctx, n, clients, servers);
  std::vector<blitz::pooled_buffer> held;
  std::vector<std::string> data(n);
  int errors = 0;
  for (int i = 0; i < n; ++i)
    servers[static_cast<std::size_t>(i)].async_receive(
        pool, [&, i](const error_code& ec, blitz::pooled_buffer b) {
          if (ec)
            ++errors;
          data[static_cast<std::size_t>(i)].assign(static_cast<const char*>(b.data()), b.size());
          held.push_back(std::move(b));
        });
  for (int i = 0; i < n; ++i)
    blitz::write(clients[static_cast<std::size_t>(i)], blitz::buffer("msg" + std::to_string(i)));

  // Four receives get the four buffers; the other four wait, without an error.
  BOOST_TEST(run_until(ctx, [&] { return held.size() == 4u; }));
  ctx.restart();
  ctx.run_for(50ms);
  BOOST_TEST(held.size() == 4u);
  BOOST_TEST(errors == 0);
  BOOST_TEST(pool.available() == 0u);
  BOOST_TEST(pool.capacity() == 4u);

  held.clear(); // the buffers come back: the waiting receives go on
  BOOST_TEST(run_until(ctx, [&] { return held.size() == 4u; }));
  BOOST_TEST(errors == 0);
  held.clear();
  for (int i = 0; i < n; ++i)
    BOOST_TEST(data[static_cast<std::size_t>(i)] == "msg" + std::to_string(i));
  BOOST_TEST(pool.available() == 4u);
}

// A pooled receive cancelled while the pool is dry: on io_uring the kernel answered
// -ENOBUFS when the receive was submitted (at once, from outside run()), before the cancel,
// which therefore finds nothing. The receive must end with operation_aborted rather than
// wait for a buffer and be issued again.
BOOST_AUTO_TEST_CASE(pooled_receive_cancelled_as_the_pool_runs_dry_ends_aborted)
{
  blitz::io_context ctx;
  blitz::buffer_pool pool(ctx, 256, 1, 1); // one buffer, cannot grow
  std::vector<tcp::socket> clients, servers;
  connect_pairs(ctx, 2, clients, servers);
  std::vector<blitz::pooled_buffer> held;
  lend_one_buffer(ctx, pool, clients[0], servers[0], held);
  int calls = 0;
  error_code got = blitz::error::would_block;
  servers[1].async_receive(pool, [&](const error_code& ec, blitz::pooled_buffer) {
    ++calls;
    got = ec;
  });
  servers[1].cancel(); // its -ENOBUFS waits in the completion queue, not yet reaped
  ctx.restart();
  ctx.run_for(100ms);
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));
  held.clear(); // the buffer comes back: nothing may take it for the cancelled receive
  ctx.restart();
  ctx.run_for(50ms);
  BOOST_TEST(calls == 1);
  BOOST_TEST(pool.available() == 1u);
}

// A pooled receive waiting for a buffer holds up the receive queued behind it. Cancelling
// it must let that one go on: the data is there, and no new readiness event will say so
// (on epoll it waited for one, for ever).
BOOST_AUTO_TEST_CASE(a_receive_behind_a_cancelled_starved_one_gets_the_data)
{
  blitz::io_context ctx;
  blitz::buffer_pool pool(ctx, 256, 1, 1); // one buffer, cannot grow
  std::vector<tcp::socket> clients, servers;
  connect_pairs(ctx, 2, clients, servers);
  std::vector<blitz::pooled_buffer> held;
  lend_one_buffer(ctx, pool, clients[0], servers[0], held);

  blitz::cancellation_signal sig;
  int starved_calls = 0;
  error_code starved_ec;
  servers[1].async_receive(pool, blitz::bind_cancellation_slot(
                                     sig.slot(), [&](const error_code& ec, blitz::pooled_buffer) {
                                       ++starved_calls;
                                       starved_ec = ec;
                                     }));
  char buf[8];
  int calls = 0;
  std::size_t n = 0;
  servers[1].async_receive(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    ++calls;
    n = k;
  });
  blitz::write(clients[1], blitz::buffer("xyz", 3));
  ctx.restart();
  ctx.run_for(50ms); // the pooled receive finds data but no buffer
  BOOST_TEST(starved_calls == 0);
  BOOST_TEST(calls == 0);

  sig.emit(blitz::cancellation_type::terminal);
  BOOST_TEST(run_until(ctx, [&] { return calls == 1; }, 3000ms));
  BOOST_TEST(starved_calls == 1);
  BOOST_TEST((starved_ec == blitz::error::operation_aborted));
  BOOST_TEST(n == 3u);
  BOOST_TEST(std::string(buf, n) == "xyz");
  held.clear();
}

BOOST_AUTO_TEST_CASE(multishot_receive_delivers_a_stream_in_order_then_eof_once)
{
  connected_pair p;
  blitz::buffer_pool pool(p.ctx, 4096, 8, 64);
  const std::vector<char> sent = blitz_test::pattern_bytes(1 << 20, 3);
  std::vector<char> got;
  int eofs = 0, errors = 0, after_end = 0;
  p.server.async_receive_multishot(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
    if (eofs + errors > 0)
      ++after_end;
    if (ec == blitz::error::eof)
      ++eofs;
    else if (ec)
      ++errors;
    else
    {
      BOOST_REQUIRE(b.size() > 0u);
      const char* d = static_cast<const char*>(b.data());
      got.insert(got.end(), d, d + b.size());
    }
  });
  std::thread writer([&] {
    blitz::io_context wctx;
    tcp::socket w(wctx);
    w.assign(tcp::v4(), ::dup(p.client.native_handle()));
    blitz::write(w, blitz::buffer(sent));
    w.shutdown(tcp::socket::shutdown_send);
  });
  BOOST_TEST(run_until(p.ctx, [&] { return eofs + errors > 0; }));
  writer.join();
  BOOST_TEST(errors == 0);
  BOOST_TEST(eofs == 1);
  BOOST_TEST(after_end == 0);
  BOOST_TEST(got.size() == sent.size());
  BOOST_TEST((got == sent));
  p.ctx.restart();
  p.ctx.run(); // nothing left pending
  BOOST_TEST(pool.available() == pool.capacity());
}

BOOST_AUTO_TEST_CASE(multishot_receive_survives_an_empty_pool)
{
  // Two buffers, and the handler keeps each one for a while: the ring runs dry again and
  // again (-ENOBUFS on io_uring), yet every byte arrives, in order, with no error.
  connected_pair p;
  blitz::buffer_pool pool(p.ctx, 1024, 2, 2);
  const std::vector<char> sent = blitz_test::pattern_bytes(256 * 1024, 9);
  std::vector<char> got;
  int eofs = 0, errors = 0;
  std::vector<blitz::pooled_buffer> held;
  blitz::steady_timer release(p.ctx);
  std::function<void()> release_later = [&] {
    release.expires_after(1ms);
    release.async_wait([&](const error_code&) {
      held.clear();
      if (eofs + errors == 0)
        release_later();
    });
  };
  release_later();
  p.server.async_receive_multishot(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
    if (ec == blitz::error::eof)
      ++eofs;
    else if (ec)
      ++errors;
    else
    {
      const char* d = static_cast<const char*>(b.data());
      got.insert(got.end(), d, d + b.size());
      held.push_back(std::move(b));
    }
  });
  std::thread writer([&] {
    blitz::io_context wctx;
    tcp::socket w(wctx);
    w.assign(tcp::v4(), ::dup(p.client.native_handle()));
    blitz::write(w, blitz::buffer(sent));
    w.shutdown(tcp::socket::shutdown_send);
  });
  BOOST_TEST(run_until(p.ctx, [&] { return eofs + errors > 0; }, 30000ms));
  writer.join();
  BOOST_TEST(errors == 0);
  BOOST_TEST(eofs == 1);
  BOOST_TEST((got == sent));
  held.clear();
  BOOST_TEST(pool.capacity() == 2u);
}

BOOST_AUTO_TEST_CASE(multishot_receive_cancel_ends_it_once_and_keeps_received_data)
{
  // Cancel racing data, many times: whatever arrived before the cancel is delivered, then
  // exactly one final call, then nothing.
  for (int round = 0; round < 200; ++round)
  {
    connected_pair p;
    blitz::buffer_pool pool(p.ctx, 64, 4);
    std::size_t bytes = 0;
    int finals = 0, after_final = 0;
    error_code last;
    p.server.async_receive_multishot(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
      if (finals)
        ++after_final;
      if (ec)
      {
        ++finals;
        last = ec;
      }
      else
        bytes += b.size();
    });
    blitz::write(p.client, blitz::buffer("0123456789", 10));
    if (round % 2)
      p.ctx.poll_one();
    p.server.cancel();
    p.ctx.run();
    BOOST_TEST(finals == 1);
    BOOST_TEST(after_final == 0);
    BOOST_TEST((last == blitz::error::operation_aborted));
    BOOST_TEST(bytes <= 10u);
    // What was not delivered is still in the socket.
    std::size_t left = p.server.available();
    BOOST_TEST(bytes + left == 10u);
    BOOST_TEST(pool.available() == pool.capacity());
  }
}

BOOST_AUTO_TEST_CASE(destroying_the_pool_ends_its_pending_receives)
{
  connected_pair p;
  error_code result;
  int calls = 0;
  {
    blitz::buffer_pool pool(p.ctx, 128, 2);
    p.server.async_receive(pool, [&](const error_code& ec, blitz::pooled_buffer) {
      ++calls;
      result = ec;
    });
    p.ctx.poll();
  }
  // The receive was started before the pool went away; it may not take a buffer any more.
  blitz::write(p.client, blitz::buffer("late", 4));
  BOOST_TEST(run_until(p.ctx, [&] { return calls == 1; }));
  BOOST_TEST(calls == 1);
  BOOST_TEST((result == blitz::error::operation_aborted));
  BOOST_TEST(p.server.available() == 4u); // the data was not consumed, nor lost
}

BOOST_AUTO_TEST_CASE(a_buffer_outlives_its_pool)
{
  connected_pair p;
  blitz::pooled_buffer kept;
  {
    blitz::buffer_pool pool(p.ctx, 128, 1);
    p.server.async_receive(pool, [&](const error_code&, blitz::pooled_buffer b) { kept = std::move(b); });
    blitz::write(p.client, blitz::buffer("keep", 4));
    p.ctx.run();
  }
  BOOST_REQUIRE(kept);
  BOOST_TEST(std::string(static_cast<const char*>(kept.data()), kept.size()) == "keep");
  kept.reset();
  BOOST_TEST(!kept);
}

BOOST_AUTO_TEST_CASE(bad_pool_sizes_are_rejected)
{
  blitz::io_context ctx;
  BOOST_CHECK_THROW(blitz::buffer_pool(ctx, 0), std::invalid_argument);
  BOOST_CHECK_THROW(blitz::buffer_pool(ctx, 64, 10, 5), std::invalid_argument);
  BOOST_CHECK_THROW(blitz::buffer_pool(ctx, 64, 1, 40000), std::invalid_argument);
}
