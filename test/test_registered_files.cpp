// Registered files on io_uring: sockets with async ops go into the ring's file table, which
// the user never sees. What must hold on every backend: a closed socket is closed at once
// (the table must not keep the connection open), slots are reused, data stays intact.
#define BOOST_TEST_MODULE registered_files
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "echo_fixture.hpp"

#include <dirent.h>
#include <fstream>
#include <poll.h>
#include <string>
#include <unistd.h>
#include <vector>

using blitz::ip::tcp;
using boost::system::error_code;

namespace {

tcp::endpoint loopback0() { return tcp::endpoint(blitz::ip::address_v4::loopback(), 0); }

// How many files the io_uring instances of this process have registered, from the
// "UserFiles:" lines of their fdinfo; -1 when the process has no ring.
int registered_files_in_rings()
{
  int total = -1;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d)
    return -1;
  while (dirent* e = ::readdir(d))
  {
    char link[256] = {};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(path.c_str(), link, sizeof(link) - 1);
    if (n <= 0 || std::string(link).find("io_uring") == std::string::npos)
      continue;
    std::ifstream info(std::string("/proc/self/fdinfo/") + e->d_name);
    std::string line;
    while (std::getline(info, line))
      if (line.compare(0, 10, "UserFiles:") == 0)
        total = (total < 0 ? 0 : total) + std::stoi(line.substr(10));
  }
  ::closedir(d);
  return total;
}

bool kernel_at_least(int major, int minor)
{
  std::ifstream f("/proc/sys/kernel/osrelease");
  int a = 0, b = 0;
  char dot;
  f >> a >> dot >> b;
  return a > major || (a == major && b >= minor);
}

// True when fd reads eof within the time limit (the peer closed).
bool sees_eof(int fd, int ms)
{
  ::pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0)
    return false;
  char c;
  return ::read(fd, &c, 1) == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(sockets_with_async_ops_are_registered_on_io_uring)
{
  blitz_test::connected_pair p;
  blitz::io_context& ctx = p.ctx;
  char buf[8];
  p.server.async_read_some(blitz::buffer(buf), [](const error_code&, std::size_t) {});
  ctx.poll();
  int files = registered_files_in_rings();
  if (std::string(ctx.backend_name()) == "io_uring" && kernel_at_least(6, 13))
    BOOST_TEST(files >= 1);
  else
    BOOST_TEST(files <= 0); // epoll has no ring; an older kernel gets no table
  p.server.close();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(registered_files_can_be_turned_off)
{
  blitz::io_context::options o;
  o.registered_files = false;
  blitz_test::connected_pair p(o);
  char buf[8];
  p.server.async_read_some(blitz::buffer(buf), [](const error_code&, std::size_t) {});
  p.ctx.poll();
  BOOST_TEST(registered_files_in_rings() <= 0);
  p.server.close();
  p.ctx.run();
}

BOOST_AUTO_TEST_CASE(close_is_immediate_while_other_receives_are_pending)
{
  // Idle connections with receives issued before the close: the closed one's peer must see
  // eof now, not when those receives complete.
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback0());
  const int n = 50;
  std::vector<tcp::socket> clients, servers;
  char buf[n][8];
  int aborted = 0;
  for (int i = 0; i < n; ++i)
  {
    clients.emplace_back(ctx);
    clients.back().connect(acceptor.local_endpoint());
    servers.emplace_back(ctx);
    acceptor.accept(servers.back());
    servers.back().async_read_some(blitz::buffer(buf[i]), [&](const error_code& ec, std::size_t) {
      if (ec == blitz::error::operation_aborted)
        ++aborted;
    });
  }
  ctx.poll();
  for (int i = 0; i < n; i += 10)
  {
    servers[static_cast<std::size_t>(i)].close();
    BOOST_TEST(sees_eof(clients[static_cast<std::size_t>(i)].native_handle(), 2000));
  }
  ctx.poll();
  BOOST_TEST(aborted == n / 10);
  for (auto& s : servers)
    s.close();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(slots_are_reused_across_many_connections)
{
  // More connections over time than the table has slots: each closed socket's slot goes to
  // a later one, and every echo comes back intact.
  blitz_test::raise_fd_limit(1024);
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, loopback0());
  int intact = 0;
  for (int i = 0; i < 5000; ++i)
  {
    tcp::socket client(ctx), server(ctx);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    std::string msg = "m" + std::to_string(i);
    std::string got(msg.size(), '\0');
    blitz::async_write(client, blitz::buffer(msg), [](const error_code&, std::size_t) {});
    blitz::async_read(server, blitz::buffer(&got[0], got.size()),
                      [&](const error_code& ec, std::size_t) {
                        if (!ec && got == msg)
                          ++intact;
                      });
    ctx.restart();
    ctx.run();
  }
  BOOST_TEST(intact == 5000);
}
