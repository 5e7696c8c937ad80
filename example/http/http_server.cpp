// An HTTP/1.1 static file server: GET and HEAD of the files under DOC_ROOT, keep-alive and
// pipelining (http_server.hpp says how).
//
//   http_server PORT DOC_ROOT [--threads N] [--bind ADDRESS]
//
// One io_context runs on the main thread. With --threads N, an io_context_pool runs N
// single-threaded io_contexts, each with its own SO_REUSEPORT acceptor on the port, so no
// handler shares state with another thread.
#include "http_server.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

int main(int argc, char** argv)
{
  if (argc < 3)
  {
    std::cerr << "usage: http_server PORT DOC_ROOT [--threads N] [--bind ADDRESS]\n";
    return 2;
  }
  unsigned short port = static_cast<unsigned short>(std::atoi(argv[1]));
  std::string doc_root = argv[2];
  // "/srv/" + "/index.html" would still work, but paths in logs read better without "//".
  while (doc_root.size() > 1 && doc_root.back() == '/')
    doc_root.pop_back();
  int threads = 1;
  std::string bind_addr = "127.0.0.1";
  for (int i = 3; i + 1 < argc; i += 2)
  {
    if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--bind") == 0)
      bind_addr = argv[i + 1];
  }
  try
  {
    http::tcp::endpoint ep(blitz::ip::make_address(bind_addr), port);
    auto announce = [&](http::server& s, blitz::io_context& ctx) {
      std::cout << "http_server listening on " << s.local_endpoint() << " root=" << doc_root
                << " backend=" << ctx.backend_name() << " threads=" << threads << std::endl;
    };
    if (threads == 1)
    {
      // On this thread: a second one would make the kernel count references on the
      // socket's file in every syscall (see echo_server).
      blitz::io_context ctx;
      http::server s(ctx, ep, doc_root, false);
      announce(s, ctx);
      ctx.run();
      return 0;
    }
    blitz::io_context_pool pool(static_cast<std::size_t>(threads));
    std::vector<std::unique_ptr<http::server>> servers;
    for (std::size_t i = 0; i < pool.size(); ++i)
      servers.emplace_back(new http::server(pool.context(i), ep, doc_root, pool.size() > 1));
    announce(*servers[0], pool.context(0));
    pool.run();
    pool.join();
  }
  catch (const std::exception& e)
  {
    std::cerr << "http_server: " << e.what() << "\n";
    return 1;
  }
}
