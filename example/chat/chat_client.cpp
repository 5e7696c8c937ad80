// A chat client: sends each line of stdin, prints each line the room sends.
//
//   chat_client HOST PORT
//   chat_client --self-test      a server and clients in one process on a loopback port
//
// As in Asio's chat client, the io_context runs on its own thread and the main thread blocks
// on stdin, handing lines over with post (chat::client::write): the socket is only ever
// touched by the io_context's thread.
#include "chat.hpp"

#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

int main(int argc, char** argv)
{
  try
  {
    if (argc >= 2 && std::strcmp(argv[1], "--self-test") == 0)
      return chat::self_test(50);
    if (argc != 3)
    {
      std::cerr << "usage: chat_client HOST PORT\n"
                   "       chat_client --self-test\n";
      return 2;
    }
    blitz::io_context ctx;
    chat::tcp::resolver resolver(ctx);
    auto endpoints = resolver.resolve(argv[1], argv[2]);
    chat::client cli(ctx, endpoints, [](const std::string& line) { std::cout << line << std::endl; });
    // Keeps run() going while the client is idle between lines of stdin.
    auto work = blitz::make_work_guard(ctx);
    std::thread runner([&ctx] { ctx.run(); });
    std::string line;
    while (std::getline(std::cin, line) && !cli.closed())
      cli.write(line);
    cli.close();
    work.reset();
    runner.join();
    if (cli.error())
    {
      std::cerr << "chat_client: " << cli.error().message() << "\n";
      return 1;
    }
  }
  catch (const std::exception& e)
  {
    std::cerr << "chat_client: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
