// The UNIX-domain echo server behind unix_echo_server.cpp, and a verifying client, kept in
// a header so the test suite can run the same code in-process.
//
// Each client writes its whole message, then shuts down its sending side; the server
// echoes until it reads eof and then shuts down its own sending side, so the client reads
// until eof and knows it has everything: half-close as the end-of-request marker.
#ifndef BLITZ_EXAMPLE_UNIX_ECHO_HPP
#define BLITZ_EXAMPLE_UNIX_ECHO_HPP

#include <blitz.hpp>

#include <array>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace unix_echo {

using blitz::local::stream_protocol;
using boost::system::error_code;

class session : public std::enable_shared_from_this<session>
{
public:
  explicit session(stream_protocol::socket s) : socket_(std::move(s)) {}

  void read()
  {
    auto self = shared_from_this();
    socket_.async_read_some(blitz::buffer(data_), [this, self](const error_code& ec, std::size_t n) {
      if (ec == blitz::error::eof)
      {
        // The client is done sending; it still reads what we send until our eof.
        error_code ignored;
        socket_.shutdown(stream_protocol::socket::shutdown_send, ignored);
        return;
      }
      if (ec)
        return;
      blitz::async_write(socket_, blitz::buffer(data_.data(), n),
                         [this, self](const error_code& ec, std::size_t) {
                           if (!ec)
                             read();
                         });
    });
  }

private:
  stream_protocol::socket socket_;
  std::array<char, 4096> data_;
};

class server
{
public:
  // Removes a stale socket file first: a previous run that crashed leaves one behind, and
  // bind() would fail with address_in_use although nobody listens.
  server(blitz::io_context& ctx, const std::string& path) : acceptor_(ctx)
  {
    ::unlink(path.c_str());
    acceptor_.open(stream_protocol());
    acceptor_.bind(stream_protocol::endpoint(path));
    acceptor_.listen();
    accept();
  }

  void stop() { acceptor_.close(); }

private:
  void accept()
  {
    acceptor_.async_accept([this](const error_code& ec, stream_protocol::socket s) {
      if (ec == blitz::error::operation_aborted)
        return;
      if (!ec)
        std::make_shared<session>(std::move(s))->read();
      accept();
    });
  }

  stream_protocol::acceptor acceptor_;
};

// One client: sends `message`, half-closes, reads the echo to eof. ok() once it matched.
class client : public std::enable_shared_from_this<client>
{
public:
  client(blitz::io_context& ctx, std::string message, std::function<void(bool)> done)
    : socket_(ctx), message_(std::move(message)), done_(std::move(done))
  {
  }

  void start(const stream_protocol::endpoint& ep)
  {
    auto self = shared_from_this();
    socket_.async_connect(ep, [this, self](const error_code& ec) {
      if (ec)
        return done_(false);
      blitz::async_write(socket_, blitz::buffer(message_), [this, self](const error_code& ec, std::size_t) {
        if (ec)
          return done_(false);
        socket_.shutdown(stream_protocol::socket::shutdown_send);
        reply_.resize(message_.size() + 1); // one spare byte: more than we sent is an error
        blitz::async_read(socket_, blitz::buffer(&reply_[0], reply_.size()),
                          [this, self](const error_code& ec, std::size_t n) {
                            done_(ec == blitz::error::eof && reply_.compare(0, n, message_) == 0 &&
                                  n == message_.size());
                          });
      });
    });
  }

private:
  stream_protocol::socket socket_;
  std::string message_;
  std::string reply_;
  std::function<void(bool)> done_;
};

// Server and `clients` concurrent clients in one io_context on a socket in a fresh
// temporary directory; 0 when every client got its message back.
inline int self_test(int clients)
{
  char dir_template[] = "/tmp/blitz-unix-echo-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir)
  {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string path = std::string(dir) + "/echo.sock";
  int ok = 0, finished = 0;
  {
    blitz::io_context ctx;
    server srv(ctx, path);
    for (int i = 0; i < clients; ++i)
    {
      std::string msg(1000 + static_cast<std::size_t>(i) * 997, static_cast<char>('a' + i % 26));
      std::make_shared<client>(ctx, msg, [&](bool good) {
        ok += good;
        if (++finished == clients)
          srv.stop();
      })->start(stream_protocol::endpoint(path));
    }
    ctx.run_for(std::chrono::seconds(30));
  }
  ::unlink(path.c_str());
  ::rmdir(dir);
  std::cout << "unix echo self-test: " << ok << "/" << clients << " clients verified\n";
  return ok == clients ? 0 : 1;
}

} // namespace unix_echo

#endif
