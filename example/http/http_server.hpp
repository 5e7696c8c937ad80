// The HTTP/1.1 static file server behind http_server.cpp, in classic Asio callback style,
// kept in a header so the test suite runs the same code in-process.
//
// One connection object per client, owned through shared_from_this by whichever handler is
// pending. Each request head is read with async_read_until(socket, streambuf, "\r\n\r\n");
// bytes past the blank line stay in the streambuf, so pipelined requests are answered one
// after another, in order, without another read. The streambuf's max size bounds a head at
// 8 KiB: a longer one ends the read with error::not_found and is answered 400.
//
// File bodies are read whole into memory with std::ifstream (http_request.hpp) rather than
// streamed with stream_file: the files a static server answers most are small and in the page
// cache, where the read is one memcpy, while a stream_file read is an operation (a thread-pool
// hop on epoll) per chunk. Large files then cost their size in memory per connection while
// they are sent, which this example accepts.
#ifndef BLITZ_EXAMPLE_HTTP_SERVER_HPP
#define BLITZ_EXAMPLE_HTTP_SERVER_HPP

#include "http_request.hpp"

#include <blitz.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <string>

namespace http {

using blitz::ip::tcp;
using boost::system::error_code;

constexpr std::size_t max_head_size = 8192;

class connection : public std::enable_shared_from_this<connection>
{
public:
  connection(tcp::socket s, std::shared_ptr<const std::string> doc_root)
    : socket_(std::move(s)), linger_(socket_.get_executor()), doc_root_(doc_root),
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
    blitz::async_read_until(socket_, in_, "\r\n\r\n", [this, self](const error_code& ec, std::size_t n) {
      if (ec == blitz::error::not_found)
      {
        error_response(400, true, false, out_);
        return write_response();
      }
      if (ec)
        return; // eof or reset between requests: nothing to answer
      respond(static_cast<const char*>(in_.data().data()), n, *doc_root_, out_);
      in_.consume(n);
      write_response();
    });
  }

  void write_response()
  {
    auto self = shared_from_this();
    std::array<blitz::const_buffer, 2> bufs{{blitz::buffer(out_.head), blitz::buffer(out_.body)}};
    blitz::async_write(socket_, bufs, [this, self](const error_code& ec, std::size_t) {
      if (ec)
        return;
      if (out_.close)
        return linger();
      out_.body.clear();
      read_head();
    });
  }

  // Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
  // response before the client reads it (an oversized head is the usual case). So: send FIN,
  // discard what still arrives until the client closes, and give up after a few seconds.
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
    socket_.async_read_some(blitz::buffer(discard_), [this, self](const error_code& ec, std::size_t) {
      if (!ec)
        return drain();
      linger_.cancel();
    });
  }

  tcp::socket socket_;
  blitz::steady_timer linger_;
  // Shared so that connections outliving their server still have it.
  std::shared_ptr<const std::string> doc_root_;
  blitz::streambuf in_;
  response out_;
  std::array<char, 4096> discard_;
};

// Accepts on one endpoint of one io_context. With share_port, several servers (one per
// context of an io_context_pool) bind the same port and the kernel spreads connections.
class server
{
public:
  server(blitz::io_context& ctx, const tcp::endpoint& ep, std::string doc_root,
         bool share_port = false)
    : acceptor_(ctx), backoff_(ctx),
      doc_root_(std::make_shared<const std::string>(std::move(doc_root)))
  {
    using reuse_port = blitz::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    if (share_port)
      acceptor_.set_option(reuse_port(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    accept();
  }

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  // Stops accepting; open connections finish on their own.
  void stop()
  {
    error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
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
      else if (ec == blitz::error::no_descriptors || ec == blitz::error::no_buffer_space ||
               ec == boost::system::errc::too_many_files_open_in_system)
      {
        // Out of descriptors: serve the connections we have and retry shortly, instead of
        // spinning on an accept that fails at once.
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([this](const error_code& ec) {
          if (!ec)
            accept();
        });
      }
      else if (ec != blitz::error::operation_aborted && ec != blitz::error::bad_descriptor)
        accept();
    });
  }

  tcp::acceptor acceptor_;
  blitz::steady_timer backoff_;
  std::shared_ptr<const std::string> doc_root_;
};

} // namespace http

#endif
