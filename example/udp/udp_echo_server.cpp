// A UDP echo server, and a client for it.
//
//   udp_echo_server PORT [--bind ADDRESS]      serve until killed
//   udp_echo_server --client HOST PORT [N]     send N datagrams (default 10), check echoes
//   udp_echo_server --self-test                both in one process on a loopback port
//
// Exit status 0 when every echo the client expected came back.
#include "udp_echo.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv)
{
  using udp_echo::udp;
  try
  {
    if (argc >= 2 && std::strcmp(argv[1], "--self-test") == 0)
      return udp_echo::self_test(100);
    if (argc >= 4 && std::strcmp(argv[1], "--client") == 0)
    {
      blitz::io_context ctx;
      udp::resolver resolver(ctx);
      // The first address the name resolves to; UDP has no connect to try the others with.
      udp::endpoint server = resolver.resolve(udp::v4(), argv[2], argv[3]).begin()->endpoint();
      int rounds = argc >= 5 ? std::max(1, std::atoi(argv[4])) : 10;
      udp_echo::client cli(ctx, server, rounds);
      ctx.run();
      std::cout << cli.verified() << "/" << rounds << " echoes from " << server << "\n";
      return cli.verified() == rounds ? 0 : 1;
    }
    if (argc < 2)
    {
      std::cerr << "usage: udp_echo_server PORT [--bind ADDRESS]\n"
                   "       udp_echo_server --client HOST PORT [N]\n"
                   "       udp_echo_server --self-test\n";
      return 2;
    }
    std::string bind_addr = "127.0.0.1";
    if (argc >= 4 && std::strcmp(argv[2], "--bind") == 0)
      bind_addr = argv[3];
    blitz::io_context ctx;
    udp::endpoint ep(blitz::ip::make_address(bind_addr),
                     static_cast<unsigned short>(std::atoi(argv[1])));
    udp_echo::server srv(ctx, ep);
    std::cout << "udp_echo_server on " << srv.local_endpoint() << " backend=" << ctx.backend_name()
              << std::endl;
    ctx.run();
  }
  catch (const std::exception& e)
  {
    std::cerr << "udp_echo_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
