// An asynchronous TCP echo server in classic Asio style: a session object owned through
// shared_from_this by the handlers it has pending.
//
//   echo_server PORT [--threads N] [--bind ADDRESS] [--buffer-pool]
//
// One io_context runs on the main thread. With --threads N, an io_context_pool runs N
// single-threaded io_contexts, one thread each; each context has its own SO_REUSEPORT
// acceptor on the same port and the kernel spreads connections over them: no state is
// shared between threads, so no handler takes a lock.
//
// With --buffer-pool a session owns no buffer: each receive borrows one from a buffer_pool
// (a provided-buffer ring on io_uring) only when data arrives, and gives it back once the
// echo is written. An idle connection then costs its socket and one pending op, well under
// a kilobyte, instead of a 4 KiB buffer.
#include <blitz.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

namespace {

using blitz::ip::tcp;
using reuse_port = blitz::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

class session : public std::enable_shared_from_this<session>
{
public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {}

  void start()
  {
    socket_.set_option(tcp::no_delay(true));
    read();
  }

private:
  void read()
  {
    auto self = shared_from_this();
    socket_.async_read_some(blitz::buffer(data_),
                            [this, self](const boost::system::error_code& ec, std::size_t n) {
                              if (!ec)
                                write(n);
                            });
  }

  void write(std::size_t n)
  {
    auto self = shared_from_this();
    blitz::async_write(socket_, blitz::buffer(data_, n),
                       [this, self](const boost::system::error_code& ec, std::size_t) {
                         if (!ec)
                           read();
                       });
  }

  tcp::socket socket_;
  char data_[4096];
};

class pooled_session : public std::enable_shared_from_this<pooled_session>
{
public:
  pooled_session(tcp::socket s, blitz::buffer_pool& pool) : socket_(std::move(s)), pool_(pool) {}

  void start()
  {
    socket_.set_option(tcp::no_delay(true));
    read();
  }

private:
  void read()
  {
    auto self = shared_from_this();
    socket_.async_receive(pool_, [this, self](const boost::system::error_code& ec,
                                              blitz::pooled_buffer b) {
      if (!ec)
        write(std::move(b));
    });
  }

  void write(blitz::pooled_buffer b)
  {
    auto self = shared_from_this();
    blitz::mutable_buffer data = b.buffer();
    blitz::async_write(socket_, data,
                       [this, self, b = std::move(b)](const boost::system::error_code& ec,
                                                      std::size_t) mutable {
                         b.reset(); // back to the pool before the next receive
                         if (!ec)
                           read();
                       });
  }

  tcp::socket socket_;
  blitz::buffer_pool& pool_;
};

class server
{
public:
  server(blitz::io_context& ctx, const tcp::endpoint& ep, bool share_port, bool use_pool)
    : acceptor_(ctx), backoff_(ctx)
  {
    if (use_pool)
      pool_.reset(new blitz::buffer_pool(ctx, 4096, 64, 32768));
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    if (share_port)
      acceptor_.set_option(reuse_port(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    accept();
  }

private:
  void accept()
  {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (!ec)
      {
        if (pool_)
          std::make_shared<pooled_session>(std::move(s), *pool_)->start();
        else
          std::make_shared<session>(std::move(s))->start();
        accept();
      }
      else if (ec == blitz::error::no_descriptors || ec == blitz::error::no_buffer_space ||
               ec == boost::system::errc::too_many_files_open_in_system)
      {
        // Out of descriptors: keep serving the connections we have and try again shortly,
        // rather than spinning on an accept that fails at once (Tokio #3529).
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([this](const boost::system::error_code&) { accept(); });
      }
      else if (ec != blitz::error::operation_aborted)
        accept();
    });
  }

  std::unique_ptr<blitz::buffer_pool> pool_; // before acceptor_: outlives the sessions' ops
  tcp::acceptor acceptor_;
  blitz::steady_timer backoff_;
};

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::cerr << "usage: echo_server PORT [--threads N] [--bind ADDRESS] [--buffer-pool]\n";
    return 2;
  }
  unsigned short port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = 1;
  std::string bind_addr = "127.0.0.1";
  bool use_pool = false;
  for (int i = 2; i < argc; ++i)
  {
    if (std::strcmp(argv[i], "--buffer-pool") == 0)
      use_pool = true;
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
      bind_addr = argv[++i];
    else
    {
      std::cerr << "echo_server: unknown argument " << argv[i] << "\n";
      return 2;
    }
  }
  try
  {
    tcp::endpoint ep(blitz::ip::make_address(bind_addr), port);
    // Each context is run by one thread and nothing else: on io_uring its ring can be
    // single-issuer with deferred completion work.
    blitz::io_context::options opts;
    opts.single_thread = true;
    auto announce = [&](blitz::io_context& ctx) {
      std::cout << "echo_server listening on " << ep << " backend=" << ctx.backend_name()
                << " threads=" << threads << (use_pool ? " buffer-pool" : "") << std::endl;
    };
    if (threads == 1)
    {
      // On this thread, as an Asio server would: a process with a second thread (even one
      // only waiting in join()) shares its descriptor table, and the kernel then takes and
      // drops a reference on the socket's file in every send(2), recv(2) and epoll or
      // io_uring call, two atomic operations per syscall (fdget's shared-table path).
      blitz::io_context ctx(opts);
      server s(ctx, ep, false, use_pool);
      announce(ctx);
      ctx.run();
      return 0;
    }
    blitz::io_context_pool pool(static_cast<std::size_t>(threads), opts);
    std::vector<std::unique_ptr<server>> servers;
    for (std::size_t i = 0; i < pool.size(); ++i)
      servers.emplace_back(new server(pool.context(i), ep, pool.size() > 1, use_pool));
    announce(pool.context(0));
    pool.run();
    pool.join();
  }
  catch (const std::exception& e)
  {
    std::cerr << "echo_server: " << e.what() << "\n";
    return 1;
  }
}
