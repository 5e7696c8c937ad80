// Boost.Asio echo peer for tools/bench: one thread, one io_context, the protocol of
// example/echo (read_some up to 4 KiB, write all of it back, TCP_NODELAY).
//
//   asio_echo_server PORT            listens on 127.0.0.1:PORT
//
// Built twice from this source: asio_echo_server on Asio's default epoll reactor, and
// asio_uring_echo_server with BOOST_ASIO_HAS_IO_URING and BOOST_ASIO_DISABLE_EPOLL, which
// makes Asio 1.81 run socket operations on io_uring.
#define BOOST_ASIO_NO_DEPRECATED
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

#if defined(BOOST_ASIO_HAS_IO_URING) && defined(BOOST_ASIO_DISABLE_EPOLL)
const char* const backend = "io_uring";
#else
const char* const backend = "epoll";
#endif

class session : public std::enable_shared_from_this<session>
{
public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {}

  void start()
  {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read();
  }

private:
  void read()
  {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(data_), [self](const error_code& ec, std::size_t n) {
      if (!ec)
        self->write(n);
    });
  }

  void write(std::size_t n)
  {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(data_, n),
                      [self](const error_code& ec, std::size_t) {
                        if (!ec)
                          self->read();
                      });
  }

  tcp::socket socket_;
  char data_[4096];
};

class server
{
public:
  server(asio::io_context& ctx, const tcp::endpoint& ep)
    : acceptor_(ctx, ep, /*reuse_address=*/true), retry_(ctx)
  {
    accept();
  }

private:
  void accept()
  {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
      if (!ec)
      {
        std::make_shared<session>(std::move(s))->start();
        accept();
      }
      else if (ec != asio::error::operation_aborted)
      {
        // Out of descriptors or a similar condition that an immediate retry would only
        // hit again: keep serving the open connections and try later.
        retry_.expires_after(std::chrono::milliseconds(50));
        retry_.async_wait([this](const error_code&) { accept(); });
      }
    });
  }

  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
};

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::cerr << "usage: " << argv[0] << " PORT\n";
    return 2;
  }
  // A peer that resets mid-write must not kill the server, whatever send flags Asio uses.
  std::signal(SIGPIPE, SIG_IGN);
  try
  {
    asio::io_context ctx(1);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                     static_cast<unsigned short>(std::atoi(argv[1])));
    server s(ctx, ep);
    std::cout << "asio echo server listening on " << ep << " backend=" << backend << std::endl;
    ctx.run();
  }
  catch (const std::exception& e)
  {
    std::cerr << argv[0] << ": " << e.what() << "\n";
    return 1;
  }
}
