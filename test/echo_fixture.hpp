// Shared by suites that push many verified connections through one io_context: an echo
// server and n clients, each writing a distinct pattern and reading it back.
#ifndef BLITZ_TEST_ECHO_FIXTURE_HPP
#define BLITZ_TEST_ECHO_FIXTURE_HPP

#include <blitz.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace blitz_test {

inline void raise_fd_limit(rlim_t want)
{
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want)
  {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, want);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// A connected TCP pair made with the synchronous calls: the starting point of most tests.
struct connected_pair
{
  blitz::io_context ctx;
  blitz::ip::tcp::acceptor acceptor{
      ctx, blitz::ip::tcp::endpoint(blitz::ip::address_v4::loopback(), 0)};
  blitz::ip::tcp::socket client{ctx};
  blitz::ip::tcp::socket server{ctx};
  explicit connected_pair(const blitz::io_context::options& o = blitz::io_context::options())
    : ctx(o)
  {
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
};

inline std::vector<char> pattern_bytes(std::size_t n, unsigned seed)
{
  std::vector<char> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<char>((i * 31 + seed * 7 + (i >> 9)) & 0xff);
  return v;
}

// Runs n connections of `size` bytes each through an echo server on one context driven by
// `threads` threads calling run(). Returns how many connections got every byte back intact.
inline int run_echo_connections(int n, std::size_t size, int threads,
                                const blitz::io_context::options& opts = blitz::io_context::options())
{
  using blitz::ip::tcp;
  using boost::system::error_code;
  raise_fd_limit(static_cast<rlim_t>(n) * 2 + 256);

  blitz::io_context ctx(opts);
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  acceptor.listen(n);
  auto ep = acceptor.local_endpoint();

  struct echo : std::enable_shared_from_this<echo>
  {
    tcp::socket s;
    std::array<char, 1024> buf;
    explicit echo(tcp::socket sock) : s(std::move(sock)) {}
    void go()
    {
      auto self = shared_from_this();
      s.async_read_some(blitz::buffer(buf), [self](const error_code& ec, std::size_t k) {
        if (ec)
          return;
        blitz::async_write(self->s, blitz::buffer(self->buf, k),
                           [self](const error_code& ec, std::size_t) {
                             if (!ec)
                               self->go();
                           });
      });
    }
  };
  // Handlers may run on several threads, but accept completions are sequential: each
  // async_accept is started by the previous one's handler.
  int accepted = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](const error_code& ec, tcp::socket s) {
      if (ec)
        return;
      std::make_shared<echo>(std::move(s))->go();
      if (++accepted < n)
        accept();
    });
  };
  accept();

  struct client
  {
    tcp::socket s;
    std::vector<char> out, in;
    explicit client(blitz::io_context& c) : s(c) {}
  };
  std::vector<std::unique_ptr<client>> clients;
  std::atomic<int> verified{0};
  for (int i = 0; i < n; ++i)
  {
    clients.emplace_back(new client(ctx));
    client& c = *clients.back();
    c.out = pattern_bytes(size, static_cast<unsigned>(i));
    c.in.resize(size);
    c.s.async_connect(ep, [&c, &verified](const error_code& ec) {
      if (ec)
        return;
      blitz::async_write(c.s, blitz::buffer(c.out), [](const error_code&, std::size_t) {});
      blitz::async_read(c.s, blitz::buffer(c.in), [&c, &verified](const error_code& ec,
                                                                  std::size_t k) {
        if (!ec && k == c.out.size() && c.in == c.out)
          ++verified;
        c.s.close();
      });
    });
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back([&ctx] { ctx.run(); });
  ctx.run();
  for (auto& t : pool)
    t.join();
  return verified.load();
}

} // namespace blitz_test

#endif
