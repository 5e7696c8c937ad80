// An echo server on a UNIX-domain stream socket.
//
//   unix_echo_server PATH          serve on PATH until killed
//   unix_echo_server --self-test   server and clients in one process, in a temporary dir
//
// Try it with: socat - UNIX-CONNECT:PATH
#include "unix_echo.hpp"

#include <cstring>
#include <iostream>

int main(int argc, char** argv)
{
  try
  {
    if (argc >= 2 && std::strcmp(argv[1], "--self-test") == 0)
      return unix_echo::self_test(20);
    if (argc < 2)
    {
      std::cerr << "usage: unix_echo_server PATH | --self-test\n";
      return 2;
    }
    blitz::io_context ctx;
    unix_echo::server srv(ctx, argv[1]);
    std::cout << "unix_echo_server on " << argv[1] << " backend=" << ctx.backend_name()
              << std::endl;
    ctx.run();
  }
  catch (const std::exception& e)
  {
    std::cerr << "unix_echo_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
