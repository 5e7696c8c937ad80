// A chat server: one room, newline-delimited messages, recent history for newcomers
// (chat.hpp says how).
//
//   chat_server PORT [--bind ADDRESS]    serve until killed
//   chat_server --self-test              server and clients in one process on a loopback port
#include "chat.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv)
{
  try
  {
    if (argc >= 2 && std::strcmp(argv[1], "--self-test") == 0)
      return chat::self_test(50);
    if (argc < 2)
    {
      std::cerr << "usage: chat_server PORT [--bind ADDRESS]\n"
                   "       chat_server --self-test\n";
      return 2;
    }
    std::string bind_addr = "127.0.0.1";
    if (argc >= 4 && std::strcmp(argv[2], "--bind") == 0)
      bind_addr = argv[3];
    blitz::io_context ctx;
    chat::server srv(ctx, chat::tcp::endpoint(blitz::ip::make_address(bind_addr),
                                              static_cast<unsigned short>(std::atoi(argv[1]))));
    std::cout << "chat_server listening on " << srv.local_endpoint() << " backend=" << ctx.backend_name()
              << std::endl;
    ctx.run();
  }
  catch (const std::exception& e)
  {
    std::cerr << "chat_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
