// The UDP echo server and client behind udp_echo_server.cpp, kept in a header so the test
// suite can run the same code in-process.
//
// UDP keeps no connection: the server answers each datagram to whoever sent it, and the
// client must cope with loss, so it gives every request a deadline.
#ifndef BLITZ_EXAMPLE_UDP_ECHO_HPP
#define BLITZ_EXAMPLE_UDP_ECHO_HPP

#include <blitz.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>

namespace udp_echo {

using blitz::ip::udp;
using boost::system::error_code;

class server
{
public:
  server(blitz::io_context& ctx, const udp::endpoint& ep) : socket_(ctx, ep) { receive(); }

  udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
  void stop() { socket_.close(); }

private:
  void receive()
  {
    socket_.async_receive_from(blitz::buffer(data_), sender_, [this](const error_code& ec, std::size_t n) {
      if (ec == blitz::error::operation_aborted || ec == blitz::error::bad_descriptor)
        return; // stopped
      if (ec)
        return receive(); // e.g. a refused port from an earlier reply: keep serving
      // One echo in flight at a time keeps data_ and sender_ stable until it is sent.
      socket_.async_send_to(blitz::buffer(data_.data(), n), sender_,
                            [this](const error_code&, std::size_t) { receive(); });
    });
  }

  udp::socket socket_;
  udp::endpoint sender_;
  std::array<char, 65536> data_;
};

// Sends `rounds` distinct datagrams one after another and checks each echo. Returns how
// many came back intact before the deadline.
class client
{
public:
  client(blitz::io_context& ctx, const udp::endpoint& server, int rounds)
    : socket_(ctx, server.protocol()), timer_(ctx), server_(server), rounds_(rounds)
  {
    next();
  }

  int verified() const { return verified_; }
  bool done() const { return failed_ || verified_ == rounds_; }

private:
  void next()
  {
    if (verified_ == rounds_)
      return;
    request_ = "echo #" + std::to_string(verified_);
    socket_.async_send_to(blitz::buffer(request_), server_, [this](const error_code& ec, std::size_t) {
      if (ec)
      {
        failed_ = true;
        return;
      }
      timer_.expires_after(std::chrono::seconds(2));
      timer_.async_wait([this](const error_code& ec) {
        if (!ec)
          socket_.cancel(); // no answer in time: give up
      });
      socket_.async_receive_from(blitz::buffer(reply_), from_, [this](const error_code& ec, std::size_t n) {
        timer_.cancel();
        if (ec || from_ != server_ || std::string(reply_.data(), n) != request_)
        {
          failed_ = true;
          return;
        }
        ++verified_;
        next();
      });
    });
  }

  udp::socket socket_;
  blitz::steady_timer timer_;
  udp::endpoint server_;
  udp::endpoint from_;
  std::string request_;
  std::array<char, 1024> reply_;
  int rounds_;
  int verified_ = 0;
  bool failed_ = false;
};

// Server and client in one io_context on a loopback port; 0 when every echo came back.
inline int self_test(int rounds)
{
  blitz::io_context ctx;
  server srv(ctx, udp::endpoint(blitz::ip::address_v4::loopback(), 0));
  client cli(ctx, srv.local_endpoint(), rounds);
  blitz::steady_timer stop(ctx);
  // The server runs forever; stop it once the client is done.
  std::function<void()> poll = [&] {
    stop.expires_after(std::chrono::milliseconds(5));
    stop.async_wait([&](const error_code&) {
      if (cli.done())
        srv.stop();
      else
        poll();
    });
  };
  poll();
  ctx.run_for(std::chrono::seconds(30));
  std::cout << "udp echo self-test: " << cli.verified() << "/" << rounds << " echoes verified ("
            << ctx.backend_name() << ")\n";
  return cli.verified() == rounds ? 0 : 1;
}

} // namespace udp_echo

#endif
