// An HTTP/1.1 static file server: GET and HEAD of the files under DOC_ROOT, keep-alive and
// pipelining (http_server.hpp says how).
//
//   http_server PORT DOC_ROOT [--threads N] [--bind ADDRESS]
//
// With --threads N, an io_context_pool runs N single-threaded io_contexts, each with its own
// SO_REUSEPORT acceptor on the port, so no handler shares state with another thread.
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
    blitz::io_context_pool pool(static_cast<std::size_t>(threads));
    std::vector<std::unique_ptr<http::server>> servers;
    for (std::size_t i = 0; i < pool.size(); ++i)
      servers.emplace_back(new http::server(pool.context(i), ep, doc_root, pool.size() > 1));
    std::cout << "http_server listening on " << servers[0]->local_endpoint()
              << " root=" << doc_root << " backend=" << pool.context(0).backend_name()
              << " threads=" << threads << std::endl;
    pool.run();
    pool.join();
  }
  catch (const std::exception& e)
  {
    std::cerr << "http_server: " << e.what() << "\n";
    return 1;
  }
}
