// Boost.Asio peer of example/http for tools/bench: the same HTTP/1.1 static file server on
// Asio 1.81 (header-only, epoll reactor), one thread, one io_context. Request handling is
// example/http/http_request.hpp itself, which uses no I/O library, so the two servers differ
// only in the I/O: async_read_until on a streambuf capped at 8 KiB, one gathered async_write
// per response, lingering close.
//
//   asio_http_server PORT DOC_ROOT    listens on 127.0.0.1:PORT
#define BOOST_ASIO_NO_DEPRECATED
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "../example/http/http_request.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t max_head_size = 8192;

class connection : public std::enable_shared_from_this<connection>
{
public:
  connection(tcp::socket s, std::shared_ptr<const std::string> doc_root)
    : socket_(std::move(s)), linger_(socket_.get_executor()), doc_root_(std::move(doc_root)),
      in_(max_head_size)
  {
  }

  void start()
  {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read_head();
  }

private:
  void read_head()
  {
    auto self = shared_from_this();
    asio::async_read_until(socket_, in_, "\r\n\r\n", [this, self](const error_code& ec, std::size_t n) {
      if (ec == asio::error::not_found)
      {
        http::error_response(400, true, false, out_);
        return write_response();
      }
      if (ec)
        return;
      http::respond(static_cast<const char*>(in_.data().data()), n, *doc_root_, out_);
      in_.consume(n);
      write_response();
    });
  }

  void write_response()
  {
    auto self = shared_from_this();
    std::array<asio::const_buffer, 2> bufs{{asio::buffer(out_.head), asio::buffer(out_.body)}};
    asio::async_write(socket_, bufs, [this, self](const error_code& ec, std::size_t) {
      if (ec)
        return;
      if (out_.close)
        return linger();
      out_.body.clear();
      read_head();
    });
  }

  // Unread bytes at close would turn FIN into a reset that can destroy the response.
  void linger()
  {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    auto self = shared_from_this();
    linger_.expires_after(std::chrono::seconds(3));
    linger_.async_wait([this, self](const error_code& ec) {
      if (!ec)
      {
        error_code ignored;
        socket_.close(ignored);
      }
    });
    drain();
  }

  void drain()
  {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(discard_), [this, self](const error_code& ec, std::size_t) {
      if (!ec)
        return drain();
      linger_.cancel();
    });
  }

  tcp::socket socket_;
  asio::steady_timer linger_;
  std::shared_ptr<const std::string> doc_root_;
  asio::streambuf in_;
  http::response out_;
  std::array<char, 4096> discard_;
};

class server
{
public:
  server(asio::io_context& ctx, const tcp::endpoint& ep, std::string doc_root)
    : acceptor_(ctx, ep), backoff_(ctx),
      doc_root_(std::make_shared<const std::string>(std::move(doc_root)))
  {
    accept();
  }

private:
  void accept()
  {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
      if (!ec)
      {
        std::make_shared<connection>(std::move(s), doc_root_)->start();
        accept();
      }
      else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
               ec == boost::system::errc::too_many_files_open_in_system)
      {
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([this](const error_code& ec) {
          if (!ec)
            accept();
        });
      }
      else if (ec != asio::error::operation_aborted)
        accept();
    });
  }

  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  std::shared_ptr<const std::string> doc_root_;
};

} // namespace

int main(int argc, char** argv)
{
  if (argc < 3)
  {
    std::cerr << "usage: asio_http_server PORT DOC_ROOT\n";
    return 2;
  }
  try
  {
    std::string doc_root = argv[2];
    while (doc_root.size() > 1 && doc_root.back() == '/')
      doc_root.pop_back();
    asio::io_context ctx(1);
    tcp::endpoint ep(asio::ip::address_v4::loopback(), static_cast<unsigned short>(std::atoi(argv[1])));
    server srv(ctx, ep, doc_root);
    std::cout << "asio http server listening on " << ep << " root=" << doc_root << " backend=epoll"
              << std::endl;
    ctx.run();
  }
  catch (const std::exception& e)
  {
    std::cerr << "asio_http_server: " << e.what() << "\n";
    return 1;
  }
}
