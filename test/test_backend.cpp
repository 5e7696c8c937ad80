// Backend robustness: a tiny io_uring ring under a burst of operations (SQ full), and a
// flood of completions at once (CQ overflow). Runs on epoll too, where the same traffic
// exercises the readiness path.
#define BOOST_TEST_MODULE backend
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include <memory>
#include <thread>
#include <sys/resource.h>
#include <vector>

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

void raise_fd_limit()
{
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 8192)
  {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 8192);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

blitz::io_context::options tiny_ring()
{
  blitz::io_context::options o;
  o.ring_entries = 4; // 4 SQEs, 64 CQEs: every burst below overflows both
  return o;
}

struct pairs
{
  std::vector<std::unique_ptr<tcp::socket>> clients, servers;
  pairs(blitz::io_context& ctx, int n)
  {
    tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
    acceptor.listen(n);
    for (int i = 0; i < n; ++i)
    {
      clients.emplace_back(new tcp::socket(ctx));
      servers.emplace_back(new tcp::socket(ctx));
      clients.back()->connect(acceptor.local_endpoint());
      acceptor.accept(*servers.back());
    }
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(burst_on_tiny_ring_completes_every_op)
{
  raise_fd_limit();
  blitz::io_context ctx(tiny_ring());
  const int n = 600;
  pairs p(ctx, n);
  std::vector<char> bufs(static_cast<std::size_t>(n) * 8);
  int done = 0, bad = 0;
  // 600 reads pending at once on a 4-entry SQ: submission must flush and retry, never fail.
  for (int i = 0; i < n; ++i)
  {
    char* b = &bufs[static_cast<std::size_t>(i) * 8];
    blitz::async_read(*p.servers[static_cast<std::size_t>(i)], blitz::buffer(b, 8),
                      [&, b, i](const error_code& ec, std::size_t k) {
                        if (ec || k != 8 || b[0] != static_cast<char>(i) || b[7] != static_cast<char>(i))
                          ++bad;
                        ++done;
                      });
  }
  ctx.poll();
  // 600 writes in one go: 600 completions land at once on a 64-entry CQ.
  for (int i = 0; i < n; ++i)
  {
    auto msg = std::make_shared<std::vector<char>>(8, static_cast<char>(i));
    blitz::async_write(*p.clients[static_cast<std::size_t>(i)], blitz::buffer(*msg),
                       [msg](const error_code& ec, std::size_t) { BOOST_TEST(!ec); });
  }
  ctx.run();
  BOOST_TEST(done == n);
  BOOST_TEST(bad == 0);
}

BOOST_AUTO_TEST_CASE(hundred_thousand_pending_posts_and_timers_on_tiny_ring)
{
  blitz::io_context ctx(tiny_ring());
  int posts = 0, timers = 0;
  std::vector<std::unique_ptr<blitz::steady_timer>> ts;
  for (int i = 0; i < 100000; ++i)
    blitz::post(ctx, [&] { ++posts; });
  for (int i = 0; i < 2000; ++i)
  {
    ts.emplace_back(new blitz::steady_timer(ctx, std::chrono::microseconds(i)));
    ts.back()->async_wait([&](const error_code& ec) { timers += !ec; });
  }
  ctx.run();
  BOOST_TEST(posts == 100000);
  BOOST_TEST(timers == 2000);
}

BOOST_AUTO_TEST_CASE(cancel_many_pending_ops_on_tiny_ring)
{
  raise_fd_limit();
  blitz::io_context ctx(tiny_ring());
  const int n = 300;
  pairs p(ctx, n);
  int aborted = 0, other = 0;
  char buf[4];
  for (int i = 0; i < n; ++i)
    p.servers[static_cast<std::size_t>(i)]->async_read_some(
        blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
          if (ec == blitz::error::operation_aborted)
            ++aborted;
          else
            ++other;
        });
  ctx.poll();
  for (auto& s : p.servers)
    s->close();
  ctx.run();
  BOOST_TEST(aborted == n);
  BOOST_TEST(other == 0);
}

BOOST_AUTO_TEST_CASE(hundred_thousand_pending_ops_on_64_entry_ring)
{
  blitz::io_context::options o;
  o.ring_entries = 64; // 64 SQEs, 1,024 CQEs: 100,000 ops overflow both many times over
  blitz::io_context ctx(o);
  pairs p(ctx, 1);
  const int n = 100000;
  int ready = 0, failed = 0;
  for (int i = 0; i < n; ++i)
    p.servers[0]->async_wait(tcp::socket::wait_read, [&](const error_code& ec) {
      if (ec)
        ++failed;
      else
        ++ready;
    });
  ctx.poll(); // everything submitted (or backlogged) and waiting
  BOOST_TEST(ready == 0);
  blitz::write(*p.clients[0], blitz::buffer("!", 1));
  ctx.run();
  BOOST_TEST(ready == n);
  BOOST_TEST(failed == 0);
}

BOOST_AUTO_TEST_CASE(cancel_racing_completion_calls_each_handler_once)
{
  blitz::io_context ctx;
  pairs p(ctx, 1);
  tcp::socket& reader = *p.servers[0];
  tcp::socket& writer = *p.clients[0];
  const int n = 100000;
  int calls = 0, completed = 0, aborted = 0, other = 0;
  std::size_t bytes_read = 0;
  char buf[1];
  // Each round: one byte is sent, a read is started and cancelled at once. Whether the read
  // or the cancel wins is up to the kernel; either way the handler runs exactly once and no
  // byte is lost (an aborted read leaves its byte for the next round).
  std::function<void(int)> round = [&](int i) {
    if (i == n)
      return;
    blitz::write(writer, blitz::buffer("x", 1));
    reader.async_read_some(blitz::buffer(buf), [&, i](const error_code& ec, std::size_t k) {
      ++calls;
      if (!ec)
      {
        ++completed;
        bytes_read += k;
      }
      else if (ec == blitz::error::operation_aborted)
        ++aborted;
      else
        ++other;
      round(i + 1);
    });
    reader.cancel();
  };
  round(0);
  ctx.run();
  BOOST_TEST(calls == n);
  BOOST_TEST(other == 0);
  BOOST_TEST(completed + aborted == n);
  // Bytes not read by completed reads are still queued in the socket.
  std::size_t left = reader.available();
  BOOST_TEST(bytes_read + left == static_cast<std::size_t>(n));
  BOOST_TEST_MESSAGE("completed " << completed << ", aborted " << aborted);
}

BOOST_AUTO_TEST_CASE(sqpoll_and_iowq_caps_serve_tcp)
{
  // Ring tuning options; on epoll they are accepted and ignored.
  blitz::io_context::options o;
  o.sqpoll = true;
  o.sqpoll_idle_ms = 10;
  o.iowq_max_bounded = 2;
  o.iowq_max_unbounded = 2;
  blitz::io_context ctx(o);
  pairs p(ctx, 8);
  int ok = 0;
  char bufs[8][4];
  for (int i = 0; i < 8; ++i)
  {
    blitz::async_read(*p.servers[static_cast<std::size_t>(i)], blitz::buffer(bufs[i]),
                      [&](const error_code& ec, std::size_t n) { ok += !ec && n == 4; });
    blitz::async_write(*p.clients[static_cast<std::size_t>(i)], blitz::buffer("ping", 4),
                       [](const error_code& ec, std::size_t) { BOOST_TEST(!ec); });
  }
  ctx.run();
  BOOST_TEST(ok == 8);
  // After the SQ thread went idle (10 ms), submission must wake it.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ctx.restart();
  blitz::async_read(*p.servers[0], blitz::buffer(bufs[0]),
                    [&](const error_code& ec, std::size_t n) { ok += !ec && n == 4; });
  blitz::async_write(*p.clients[0], blitz::buffer("pong", 4), [](const error_code&, std::size_t) {});
  ctx.run();
  BOOST_TEST(ok == 9);
}
