// io_context::options::single_thread: on io_uring the ring is SINGLE_ISSUER|DEFER_TASKRUN,
// owned by the first thread that runs the context. The kernel refuses submissions and
// registrations from any other thread, so everything another thread does (start, cancel,
// close, post) must reach the owner; these tests do exactly those things. On epoll the
// option changes nothing and the same behaviour is required.
#define BOOST_TEST_MODULE single_thread
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <atomic>
#include <dirent.h>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using blitz::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

blitz::io_context::options single()
{
  blitz::io_context::options o;
  o.single_thread = true;
  return o;
}

tcp::endpoint loopback0() { return tcp::endpoint(blitz::ip::address_v4::loopback(), 0); }

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 10000ms)
{
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(1ms);
  return pred();
}

} // namespace

BOOST_AUTO_TEST_CASE(echo_on_a_single_thread_context)
{
  // Accept and connect are started before run() (the ring has no owner yet), everything
  // after from handlers on the owner; every byte of every connection comes back.
  BOOST_TEST(blitz_test::run_echo_connections(50, 10000, 1, single()) == 50);
}

BOOST_AUTO_TEST_CASE(other_threads_start_and_cancel_operations)
{
  blitz::io_context ctx(single());
  tcp::acceptor acceptor(ctx, loopback0());
  tcp::socket client(ctx), server(ctx);
  client.connect(acceptor.local_endpoint());
  acceptor.accept(server);
  auto guard = blitz::make_work_guard(ctx);
  std::thread owner([&] { ctx.run(); });

  // A read started by this thread (not the owner) completes with the data.
  std::atomic<int> done{0};
  std::string got(5, '\0');
  blitz::async_read(server, blitz::buffer(&got[0], 5), [&](const error_code& ec, std::size_t) {
    if (!ec)
      ++done;
  });
  blitz::write(client, blitz::buffer("hello", 5));
  BOOST_TEST(wait_until([&] { return done.load() == 1; }));
  BOOST_TEST(got == "hello");

  // A read started here, then cancelled here.
  std::atomic<int> aborted{0};
  char b[4];
  server.async_read_some(blitz::buffer(b), [&](const error_code& ec, std::size_t) {
    if (ec == blitz::error::operation_aborted)
      ++aborted;
  });
  std::this_thread::sleep_for(5ms);
  blitz::post(ctx, [] {}); // a post from here too
  server.cancel();
  BOOST_TEST(wait_until([&] { return aborted.load() == 1; }));

  guard.reset();
  ctx.stop();
  owner.join();
}

BOOST_AUTO_TEST_CASE(close_from_another_thread_spares_the_descriptor_number_reused)
{
  // The close's cancel-by-descriptor is submitted by the owner later; by then the number
  // may belong to a new socket. The new socket's pending read must not be cancelled.
  for (int round = 0; round < 20; ++round)
  {
    blitz::io_context ctx(single());
    tcp::acceptor acceptor(ctx, loopback0());
    tcp::socket c1(ctx), s1(ctx);
    c1.connect(acceptor.local_endpoint());
    acceptor.accept(s1);
    std::atomic<int> first_aborted{0}, second_read{0}, second_aborted{0};
    char b1[4], b2[4];
    s1.async_read_some(blitz::buffer(b1), [&](const error_code& ec, std::size_t) {
      if (ec == blitz::error::operation_aborted)
        ++first_aborted;
    });
    // Owner: runs with a guard in another thread; it has not seen the cancel yet when
    // this thread closes and reopens (it is blocked in the kernel).
    auto guard = blitz::make_work_guard(ctx);
    std::thread owner([&] { ctx.run(); });
    std::this_thread::sleep_for(2ms);
    s1.close();
    tcp::socket c2(ctx), s2(ctx);
    c2.connect(acceptor.local_endpoint());
    acceptor.accept(s2);
    s2.async_read_some(blitz::buffer(b2), [&](const error_code& ec, std::size_t k) {
      if (ec == blitz::error::operation_aborted)
        ++second_aborted;
      else if (!ec && k == 2)
        ++second_read;
    });
    BOOST_TEST(wait_until([&] { return first_aborted.load() == 1; }));
    blitz::write(c2, blitz::buffer("ok", 2));
    BOOST_TEST(wait_until([&] { return second_read.load() + second_aborted.load() == 1; }));
    BOOST_TEST(second_aborted.load() == 0);
    BOOST_TEST(second_read.load() == 1);
    guard.reset();
    ctx.stop();
    owner.join();
  }
}

BOOST_AUTO_TEST_CASE(close_from_another_thread_after_the_owner_left_does_not_wait_for_it)
{
  // An owner outside run() submits nothing: a close here that waited for it to hand the
  // SQ to the kernel would stall (it used to, for a second per socket, as at the end of a
  // program that joins its pool and then destroys its sessions). One socket's read was
  // started by the owner (its descriptor is in the registered-file table), the other's
  // by this thread once the owner had the ring (used by number).
  blitz::io_context peer_ctx;
  tcp::socket c1(peer_ctx), c2(peer_ctx);
  int calls = 0;
  {
    blitz::io_context ctx(single());
    tcp::acceptor acceptor(ctx, loopback0());
    tcp::socket s1(ctx), s2(ctx);
    c1.connect(acceptor.local_endpoint());
    acceptor.accept(s1);
    c2.connect(acceptor.local_endpoint());
    acceptor.accept(s2);
    char b1[4], b2[4];
    auto count = [&calls](const error_code&, std::size_t) { ++calls; };
    std::atomic<bool> owner_has_ring{false};
    // Its completion reaches a handler only through the owner's turn in the kernel, which
    // makes the owner own the ring.
    s1.async_read_some(blitz::buffer(b1), [&](const error_code&, std::size_t) {
      s1.async_read_some(blitz::buffer(b1), count);
      owner_has_ring = true;
    });
    std::thread owner([&] { ctx.run_for(200ms); });
    blitz::write(c1, blitz::buffer("x", 1));
    BOOST_TEST(wait_until([&] { return owner_has_ring.load(); }));
    s2.async_read_some(blitz::buffer(b2), count);
    owner.join();
    for (tcp::socket* s : {&s1, &s2})
    {
      auto start = std::chrono::steady_clock::now();
      s->close();
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      BOOST_TEST(took.count() < 500);
    }
  }
  // The context is gone: the handlers were destroyed, not run, and the connections are
  // closed; the peers read eof.
  BOOST_TEST(calls == 0);
  for (tcp::socket* c : {&c1, &c2})
  {
    c->non_blocking(true);
    error_code ec;
    wait_until([&] {
      char b;
      c->read_some(blitz::buffer(&b, 1), ec);
      return ec != blitz::error::would_block;
    });
    BOOST_TEST(ec == blitz::error::eof);
  }
}

BOOST_AUTO_TEST_CASE(a_slot_emptied_from_another_thread_is_not_reused_before_it_is_empty)
{
  // The owner is inside a handler when this thread closes a socket whose descriptor holds
  // a registered-file slot: the update that empties the slot waits in the SQ for the
  // owner's next submission. The same handler then starts the first read of a new socket.
  // Had the slot gone back to the free list at once, the new socket would get it, and the
  // update submitted ahead of its read would take its file away: the read would fail with
  // bad_descriptor instead of returning the bytes.
  blitz::io_context ctx(single());
  tcp::acceptor acceptor(ctx, loopback0());
  tcp::socket cx(ctx), sx(ctx), cy(ctx), sy(ctx);
  cx.connect(acceptor.local_endpoint());
  acceptor.accept(sx);
  std::atomic<int> stage{0};
  error_code x_ec, y_ec;
  std::size_t y_n = 0;
  char bx[4], by[4];
  // The handler runs on the owner once it owns the ring (see above).
  sx.async_read_some(blitz::buffer(bx), [&](const error_code&, std::size_t) {
    sx.async_read_some(blitz::buffer(bx), [&](const error_code& ec, std::size_t) { x_ec = ec; });
    stage = 1;
    wait_until([&] { return stage.load() == 2; });
    cy.connect(acceptor.local_endpoint());
    acceptor.accept(sy);
    sy.async_read_some(blitz::buffer(by), [&](const error_code& ec, std::size_t n) {
      y_ec = ec;
      y_n = n;
    });
    blitz::write(cy, blitz::buffer("yy", 2));
  });
  std::thread owner([&] { ctx.run_for(10s); });
  blitz::write(cx, blitz::buffer("x", 1));
  BOOST_TEST(wait_until([&] { return stage.load() == 1; }));
  sx.close();
  stage = 2;
  owner.join();
  BOOST_TEST(x_ec == blitz::error::operation_aborted);
  BOOST_TEST(y_ec == error_code());
  BOOST_TEST(y_n == 2u);
}

BOOST_AUTO_TEST_CASE(destroyed_off_its_owner_while_handlers_own_sockets_and_timers)
{
  // The owner left with a read and a timer wait pending, whose handlers own a session: the
  // socket (in the registered-file table) and the timer. Destroying the context here closes
  // the ring first, since only the owner could cancel; destroying the handlers then closes
  // the session's socket, and the timer's makes the teardown go round again. Neither may
  // reach for the ring that is gone.
  struct session
  {
    session(blitz::io_context& ctx, std::shared_ptr<int> a)
      : sock(ctx), timer(ctx), alive(std::move(a))
    {
    }
    tcp::socket sock;
    blitz::steady_timer timer;
    std::shared_ptr<int> alive;
    char buf[4];
  };
  auto alive = std::make_shared<int>(0);
  {
    blitz::io_context ctx(single());
    tcp::acceptor acceptor(ctx, loopback0());
    tcp::socket client(ctx);
    auto s = std::make_shared<session>(ctx, alive);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(s->sock);
    s->sock.async_read_some(blitz::buffer(s->buf), [s](const error_code&, std::size_t) {});
    s->timer.expires_after(10s);
    s->timer.async_wait([s](const error_code&) {});
    s.reset();
    std::thread owner([&] { ctx.run_for(20ms); });
    owner.join();
  }
  BOOST_TEST(alive.use_count() == 1);
}

BOOST_AUTO_TEST_CASE(close_from_another_thread_waits_for_sqes_that_name_the_number)
{
  // A socket whose first operation another thread started is used by number, never given
  // a registered-file slot. The owner queues a wait on it inside a handler and goes on
  // with that handler: the SQE sits in the SQ while this thread closes the socket and a
  // new connection takes its number. The close must hold the number until the owner has
  // handed that SQE to the kernel, or it would wait on the new socket (and report the new
  // socket's data as its own) instead of being cancelled with the old one.
  blitz::io_context ctx(single());
  tcp::acceptor acceptor(ctx, loopback0());
  tcp::socket cx(ctx), sx(ctx), c1(ctx), s1(ctx), c2(ctx), s2(ctx);
  cx.connect(acceptor.local_endpoint());
  acceptor.accept(sx);
  c1.connect(acceptor.local_endpoint());
  acceptor.accept(s1);
  std::atomic<int> stage{0};
  std::atomic<int> read1{-1}, wait1{-1}, read2{-1};
  char bx[1], b1[4], b2[4];
  // Handlers of sx run on the owner once it owns the ring (see above).
  sx.async_read_some(blitz::buffer(bx), [&](const error_code&, std::size_t) {
    stage = 1; // the ring has its owner: s1's first op, started over there, goes by number
    sx.async_read_some(blitz::buffer(bx), [&](const error_code&, std::size_t) {
      s1.async_wait(tcp::socket::wait_read, [&](const error_code& ec) { wait1 = ec.value(); });
      stage = 3;
      std::this_thread::sleep_for(100ms); // the wait's SQE is not submitted meanwhile
    });
  });
  auto guard = blitz::make_work_guard(ctx);
  std::thread owner([&] { ctx.run(); });
  blitz::write(cx, blitz::buffer("x", 1));
  BOOST_TEST(wait_until([&] { return stage.load() == 1; }));
  s1.async_read_some(blitz::buffer(b1), [&](const error_code& ec, std::size_t) { read1 = ec.value(); });
  std::this_thread::sleep_for(20ms); // the owner queues and submits the read
  blitz::write(cx, blitz::buffer("x", 1));
  BOOST_TEST(wait_until([&] { return stage.load() == 3; }));
  s1.close();
  c2.connect(acceptor.local_endpoint());
  acceptor.accept(s2); // most likely the number s1 had
  s2.async_read_some(blitz::buffer(b2), [&](const error_code& ec, std::size_t n) {
    read2 = ec ? ec.value() : static_cast<int>(n);
  });
  blitz::write(c2, blitz::buffer("hi", 2));
  BOOST_TEST(wait_until([&] { return read1 >= 0 && wait1 >= 0 && read2 >= 0; }));
  BOOST_TEST(read1 == static_cast<int>(blitz::error::operation_aborted));
  BOOST_TEST(wait1 == static_cast<int>(blitz::error::operation_aborted));
  BOOST_TEST(read2 == 2);
  guard.reset();
  ctx.stop();
  owner.join();
}

BOOST_AUTO_TEST_CASE(buffer_pool_and_multishot_on_a_single_thread_context)
{
  blitz::io_context ctx(single());
  blitz::buffer_pool pool(ctx, 1024, 4); // registered before the ring has an owner
  tcp::acceptor acceptor(ctx, loopback0());
  std::vector<tcp::socket> accepted;
  std::string got;
  int eofs = 0;
  acceptor.async_accept_multishot([&](const error_code& ec, tcp::socket s) {
    if (ec)
      return;
    accepted.push_back(std::move(s));
    accepted.back().async_receive_multishot(pool, [&](const error_code& ec, blitz::pooled_buffer b) {
      if (ec == blitz::error::eof)
      {
        ++eofs;
        acceptor.cancel();
      }
      else if (!ec)
        got.append(static_cast<const char*>(b.data()), b.size());
    });
  });
  std::thread client([&] {
    blitz::io_context cctx;
    tcp::socket c(cctx);
    c.connect(acceptor.local_endpoint());
    blitz::write(c, blitz::buffer(std::string(5000, 'z')));
  });
  ctx.run_for(10s);
  client.join();
  BOOST_TEST(eofs == 1);
  BOOST_TEST(got == std::string(5000, 'z'));
}

BOOST_AUTO_TEST_CASE(destroyed_on_another_thread_after_its_owner_exited)
{
  // The owner thread ran the context and ended with a read still pending; the context is
  // destroyed here. Nothing may leak or crash, and the handler is destroyed, not run.
  auto count_fds = [] {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd"))
    {
      while (::readdir(d))
        ++n;
      ::closedir(d);
    }
    return n;
  };
  const int fds_before = count_fds();
  auto alive = std::make_shared<int>(0);
  int calls = 0;
  {
    blitz::io_context ctx(single());
    tcp::acceptor acceptor(ctx, loopback0());
    tcp::socket client(ctx), server(ctx);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    char b[4];
    server.async_read_some(blitz::buffer(b), [&calls, alive](const error_code&, std::size_t) { ++calls; });
    std::thread owner([&] { ctx.run_for(20ms); });
    owner.join();
    // server closes here, off the owner (which has exited), then the context goes.
  }
  BOOST_TEST(calls == 0);
  BOOST_TEST(alive.use_count() == 1);
  BOOST_TEST(count_fds() == fds_before); // no duplicate left behind by the cross-thread close
}

BOOST_AUTO_TEST_CASE(destroyed_off_its_owner_with_receives_parked_for_a_buffer)
{
  // Pooled receives on six connections, one buffer: one receive holds it, the others came
  // back from the kernel with no buffer and wait for one, out of the kernel. Their handlers
  // own their sockets, so nothing cancels them. The pool closes here, off the owner, which
  // has left, and sends them to the owner's backlog; a 4-entry SQ cannot take them all.
  // Destroying the context must then reclaim each parked receive once (an op queued twice
  // makes a cycle that the teardown never leaves).
  auto alive = std::make_shared<int>(0);
  std::atomic<int> received{0};
  blitz::pooled_buffer held;
  {
    blitz::io_context::options o = single();
    o.ring_entries = 4;
    blitz::io_context ctx(o);
    blitz::buffer_pool pool(ctx, 64, 1, 1);
    tcp::acceptor acceptor(ctx, loopback0());
    std::vector<tcp::socket> clients;
    for (int i = 0; i < 6; ++i)
    {
      clients.emplace_back(ctx);
      clients.back().connect(acceptor.local_endpoint());
      auto s = std::make_shared<tcp::socket>(ctx);
      acceptor.accept(*s);
      s->async_receive(pool, [&, s, alive](const error_code& ec, blitz::pooled_buffer b) {
        if (!ec)
        {
          held = std::move(b);
          ++received;
        }
      });
    }
    for (auto& c : clients)
      blitz::write(c, blitz::buffer("x", 1));
    std::thread owner([&] { ctx.run_for(200ms); });
    owner.join();
    BOOST_TEST(received.load() == 1);
    BOOST_TEST(pool.available() == 0u);
  }
  BOOST_TEST(received.load() == 1);
  BOOST_TEST(alive.use_count() == 1);
  BOOST_TEST(held.size() == 1u);
}
