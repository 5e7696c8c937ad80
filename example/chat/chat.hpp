// The chat server and client behind chat_server.cpp and chat_client.cpp, in the shape of
// Asio's classic chat example, kept in a header so the test suite runs the same code.
//
// Messages are text lines ending in '\n'. A room holds participants and the most recent
// messages; every message a participant sends goes to everyone in the room, its sender
// included (so a client sees the room's one order), and a newcomer first receives the recent
// history. Each participant has a write queue: one async_write in flight, the rest waiting,
// because two writes on one socket at once could interleave their bytes.
#ifndef BLITZ_EXAMPLE_CHAT_HPP
#define BLITZ_EXAMPLE_CHAT_HPP

#include <blitz.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace chat {

using blitz::ip::tcp;
using boost::system::error_code;

constexpr std::size_t max_line = 512;      // longer lines end the sender's session
constexpr std::size_t max_recent_msgs = 100; // history kept for newcomers

class participant
{
public:
  virtual ~participant() = default;
  virtual void deliver(const std::string& msg) = 0;
};

class room
{
public:
  void join(const std::shared_ptr<participant>& p)
  {
    participants_.insert(p);
    for (const auto& msg : recent_)
      p->deliver(msg);
  }

  void leave(const std::shared_ptr<participant>& p) { participants_.erase(p); }

  void deliver(const std::string& msg)
  {
    recent_.push_back(msg);
    while (recent_.size() > max_recent_msgs)
      recent_.pop_front();
    for (const auto& p : participants_)
      p->deliver(msg);
  }

  std::size_t size() const { return participants_.size(); }

private:
  std::set<std::shared_ptr<participant>> participants_;
  std::deque<std::string> recent_;
};

class session : public participant, public std::enable_shared_from_this<session>
{
public:
  session(tcp::socket s, room& r) : socket_(std::move(s)), room_(r), in_(max_line + 1) {}

  void start()
  {
    room_.join(shared_from_this());
    read_line();
  }

  void deliver(const std::string& msg) override
  {
    bool idle = queue_.empty();
    queue_.push_back(msg);
    if (idle)
      write_front();
  }

private:
  void read_line()
  {
    auto self = shared_from_this();
    blitz::async_read_until(socket_, in_, '\n', [this, self](const error_code& ec, std::size_t n) {
      if (ec)
        return quit(); // eof, reset, or a line over max_line (not_found)
      std::string line(static_cast<const char*>(in_.data().data()), n);
      in_.consume(n);
      room_.deliver(line);
      read_line();
    });
  }

  void write_front()
  {
    auto self = shared_from_this();
    blitz::async_write(socket_, blitz::buffer(queue_.front()), [this, self](const error_code& ec, std::size_t) {
      if (ec)
        return quit();
      queue_.pop_front();
      if (!queue_.empty())
        write_front();
    });
  }

  // Called by the failing read and, for the same session, perhaps by a failing write too.
  void quit()
  {
    room_.leave(shared_from_this());
    error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  room& room_;
  blitz::streambuf in_;
  std::deque<std::string> queue_;
};

class server
{
public:
  server(blitz::io_context& ctx, const tcp::endpoint& ep) : acceptor_(ctx, ep) { accept(); }

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  std::size_t participants() const { return room_.size(); }
  void stop()
  {
    error_code ignored;
    acceptor_.close(ignored);
  }

private:
  void accept()
  {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec == blitz::error::operation_aborted || ec == blitz::error::bad_descriptor)
        return;
      if (!ec)
        std::make_shared<session>(std::move(s), room_)->start();
      accept();
    });
  }

  tcp::acceptor acceptor_;
  room room_;
};

// Connects, hands every received line (without its '\n') to on_line, and sends lines given
// to write() in order. write() and close() may be called from any thread: they post to the
// client's io_context, which alone touches the socket.
class client
{
public:
  template <class EndpointSequence>
  client(blitz::io_context& ctx, const EndpointSequence& endpoints,
         std::function<void(const std::string&)> on_line)
    : ctx_(ctx), socket_(ctx), in_(max_line + 1), on_line_(std::move(on_line))
  {
    blitz::async_connect(socket_, endpoints, [this](const error_code& ec, const tcp::endpoint&) {
      if (ec)
        return fail(ec);
      connected_ = true;
      read_line();
      if (!queue_.empty())
        write_front();
    });
  }

  void write(const std::string& line)
  {
    blitz::post(ctx_, [this, line] {
      bool idle = queue_.empty();
      queue_.push_back(line + "\n");
      if (idle && connected_)
        write_front();
    });
  }

  void close()
  {
    blitz::post(ctx_, [this] {
      error_code ignored;
      socket_.close(ignored);
    });
  }

  bool closed() const { return closed_; }
  error_code error() const { return error_; }

private:
  void read_line()
  {
    blitz::async_read_until(socket_, in_, '\n', [this](const error_code& ec, std::size_t n) {
      if (ec)
        return fail(ec);
      std::string line(static_cast<const char*>(in_.data().data()), n - 1);
      in_.consume(n);
      on_line_(line);
      read_line();
    });
  }

  void write_front()
  {
    blitz::async_write(socket_, blitz::buffer(queue_.front()), [this](const error_code& ec, std::size_t) {
      if (ec)
        return fail(ec);
      queue_.pop_front();
      if (!queue_.empty())
        write_front();
    });
  }

  void fail(const error_code& ec)
  {
    if (!closed_ && ec != blitz::error::eof && ec != blitz::error::operation_aborted)
      error_ = ec;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
  }

  blitz::io_context& ctx_;
  tcp::socket socket_;
  blitz::streambuf in_;
  std::deque<std::string> queue_;
  std::function<void(const std::string&)> on_line_;
  bool connected_ = false;
  std::atomic<bool> closed_{false}; // read by chat_client's stdin thread
  error_code error_;
};

// Runs ctx until done() or the deadline; true if done() became true.
inline bool run_until(blitz::io_context& ctx, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(10))
{
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
  {
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

// A server and three clients on a loopback port in one io_context: each client says
// `rounds` lines; every client must see all of them, each sender's in its order, and a
// client joining afterwards must get them from the history. 0 on success.
inline int self_test(int rounds)
{
  blitz::io_context ctx;
  server srv(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  std::vector<tcp::endpoint> eps{srv.local_endpoint()};
  std::vector<std::vector<std::string>> seen(4);
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 3; ++i)
    clients.emplace_back(new client(ctx, eps, [&seen, i](const std::string& l) { seen[i].push_back(l); }));
  for (int r = 0; r < rounds; ++r)
    for (int i = 0; i < 3; ++i)
      clients[i]->write("client " + std::to_string(i) + " line " + std::to_string(r));
  std::size_t total = static_cast<std::size_t>(3 * rounds);
  bool ok = run_until(ctx, [&] { return seen[0].size() >= total && seen[1].size() >= total && seen[2].size() >= total; });
  clients.emplace_back(new client(ctx, eps, [&seen](const std::string& l) { seen[3].push_back(l); }));
  ok = run_until(ctx, [&] { return seen[3].size() >= std::min(total, max_recent_msgs); }) && ok;
  // Every client saw the same sequence (the newcomer its tail), each sender's lines in order.
  for (int i = 1; i < 4 && ok; ++i)
    ok = seen[i].size() <= seen[0].size() &&
         std::equal(seen[i].begin(), seen[i].end(), seen[0].end() - static_cast<long>(seen[i].size()));
  std::vector<int> next(3, 0);
  for (const auto& l : seen[0])
  {
    int who = l.size() > 7 ? l[7] - '0' : -1;
    ok = ok && who >= 0 && who < 3 && l == "client " + std::to_string(who) + " line " + std::to_string(next[who]++);
  }
  std::cout << "chat self-test: " << (ok ? "ok" : "FAILED") << ", " << seen[0].size() << " lines seen by each of 3 clients, "
            << seen[3].size() << " from history (" << ctx.backend_name() << ")\n";
  return ok ? 0 : 1;
}

} // namespace chat

#endif
