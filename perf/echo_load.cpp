// Echo load generator: C connections, each keeping D messages of S bytes in flight, for T
// seconds. Every byte that comes back is checked against what was sent (a pattern derived
// from connection, message number and offset), so a server that drops, reorders or
// corrupts data fails the run.
//
//   echo_load [--host H] --port P [--connections C] [--size S] [--pipeline D]
//             [--duration SECONDS]
//
// Prints round trips/s and latency percentiles; exits 1 on any error or mismatch.
#include <blitz.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using blitz::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct config
{
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int connections = 1;
  std::size_t size = 64;
  int pipeline = 1;
  double duration = 3.0;
};

struct totals
{
  std::uint64_t round_trips = 0;
  std::uint64_t bytes = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t errors = 0;
  std::uint64_t incomplete = 0;
  std::vector<std::uint32_t> latency_ns;
};

inline unsigned char pattern(std::uint32_t conn, std::uint64_t msg, std::size_t i)
{
  return static_cast<unsigned char>(conn * 131u + msg * 31u + i * 7u + (i >> 8));
}

class connection
{
public:
  connection(blitz::io_context& ctx, std::uint32_t id, const config& cfg, totals& t,
             const bool& running)
    : socket_(ctx), id_(id), cfg_(cfg), totals_(t), running_(running),
      sent_at_(static_cast<std::size_t>(cfg.pipeline)), rx_(65536)
  {
  }

  void start(const tcp::endpoint& ep)
  {
    socket_.async_connect(ep, [this](const boost::system::error_code& ec) {
      if (ec)
      {
        fail("connect", ec);
        return;
      }
      socket_.set_option(tcp::no_delay(true));
      for (int i = 0; i < cfg_.pipeline; ++i)
        queue_message();
      read();
    });
  }

  bool finished() const { return done_; }
  void abandon()
  {
    if (!done_)
    {
      ++totals_.incomplete;
      done_ = true;
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

private:
  void fail(const char* what, const boost::system::error_code& ec)
  {
    if (!done_)
    {
      std::cerr << "connection " << id_ << ": " << what << ": " << ec.message() << "\n";
      ++totals_.errors;
      done_ = true;
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  void queue_message()
  {
    sent_at_[tx_seq_ % sent_at_.size()] = clock_type::now();
    std::size_t off = tx_.size();
    tx_.resize(off + cfg_.size);
    for (std::size_t i = 0; i < cfg_.size; ++i)
      tx_[off + i] = static_cast<char>(pattern(id_, tx_seq_, i));
    ++tx_seq_;
    if (!writing_)
      flush();
  }

  void flush()
  {
    writing_ = true;
    inflight_.swap(tx_);
    tx_.clear();
    blitz::async_write(socket_, blitz::buffer(inflight_),
                       [this](const boost::system::error_code& ec, std::size_t) {
                         writing_ = false;
                         if (ec)
                         {
                           fail("write", ec);
                           return;
                         }
                         if (!tx_.empty())
                           flush();
                       });
  }

  void read()
  {
    socket_.async_read_some(blitz::buffer(rx_), [this](const boost::system::error_code& ec,
                                                       std::size_t n) {
      if (ec)
      {
        fail("read", ec);
        return;
      }
      for (std::size_t i = 0; i < n; ++i)
      {
        if (static_cast<unsigned char>(rx_[i]) != pattern(id_, rx_seq_, rx_off_))
        {
          ++totals_.mismatches;
          fail("verify", blitz::error::invalid_argument);
          return;
        }
        if (++rx_off_ == cfg_.size)
        {
          auto lat = clock_type::now() - sent_at_[rx_seq_ % sent_at_.size()];
          totals_.latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(lat).count(), UINT32_MAX)));
          ++totals_.round_trips;
          totals_.bytes += cfg_.size;
          rx_off_ = 0;
          ++rx_seq_;
          if (running_)
            queue_message();
        }
      }
      if (rx_seq_ == tx_seq_ && !running_)
      {
        done_ = true;
        boost::system::error_code ignored;
        socket_.close(ignored);
        return;
      }
      read();
    });
  }

  tcp::socket socket_;
  std::uint32_t id_;
  const config& cfg_;
  totals& totals_;
  const bool& running_;
  std::vector<clock_type::time_point> sent_at_;
  std::vector<char> rx_;
  std::vector<char> tx_, inflight_;
  std::uint64_t tx_seq_ = 0, rx_seq_ = 0;
  std::size_t rx_off_ = 0;
  bool writing_ = false;
  bool done_ = false;
};

double percentile(std::vector<std::uint32_t>& v, double p)
{
  if (v.empty())
    return 0;
  std::size_t k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

} // namespace

int main(int argc, char** argv)
{
  config cfg;
  for (int i = 1; i + 1 < argc; i += 2)
  {
    std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--host")
      cfg.host = v;
    else if (a == "--port")
      cfg.port = static_cast<unsigned short>(std::atoi(v));
    else if (a == "--connections")
      cfg.connections = std::max(1, std::atoi(v));
    else if (a == "--size")
      cfg.size = static_cast<std::size_t>(std::max(1, std::atoi(v)));
    else if (a == "--pipeline")
      cfg.pipeline = std::max(1, std::atoi(v));
    else if (a == "--duration")
      cfg.duration = std::atof(v);
    else
    {
      std::cerr << "echo_load: unknown option " << a << "\n";
      return 2;
    }
  }
  if (cfg.port == 0)
  {
    std::cerr << "usage: echo_load [--host H] --port P [--connections C] [--size S] "
                 "[--pipeline D] [--duration SECONDS]\n";
    return 2;
  }

  // One thread drives every connection, so the context can be single-threaded: on io_uring
  // the kernel then queues the completion work for the client's sockets until the client
  // asks for it, instead of interrupting the client's CPU for each one. The server sending
  // the echo pays for that interruption in its own CPU time, so a client that invites it
  // adds the same cost to every server and blurs their differences.
  blitz::io_context::options opts;
  opts.single_thread = true;
  blitz::io_context ctx(opts);
  totals t;
  t.latency_ns.reserve(1 << 22);
  bool running = true;
  tcp::endpoint ep(blitz::ip::make_address(cfg.host), cfg.port);
  std::vector<std::unique_ptr<connection>> conns;
  for (int i = 0; i < cfg.connections; ++i)
  {
    conns.emplace_back(new connection(ctx, static_cast<std::uint32_t>(i), cfg, t, running));
    conns.back()->start(ep);
  }

  auto start = clock_type::now();
  blitz::steady_timer stop_timer(ctx, std::chrono::duration_cast<clock_type::duration>(
                                          std::chrono::duration<double>(cfg.duration)));
  std::uint64_t measured = 0;
  // Drain: after the measured interval, let every message in flight come back (bounded).
  blitz::steady_timer drain_timer(ctx);
  stop_timer.async_wait([&](const boost::system::error_code&) {
    running = false;
    measured = t.round_trips;
    drain_timer.expires_after(std::chrono::seconds(5));
    drain_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec)
        return;
      for (auto& c : conns)
        c->abandon();
    });
  });
  // Stops the drain timer as soon as every connection has finished.
  blitz::steady_timer poll_timer(ctx);
  std::function<void()> check = [&] {
    poll_timer.expires_after(std::chrono::milliseconds(10));
    poll_timer.async_wait([&](const boost::system::error_code&) {
      bool all = std::all_of(conns.begin(), conns.end(), [](const std::unique_ptr<connection>& c) {
        return c->finished();
      });
      if (all)
        drain_timer.cancel();
      else
        check();
    });
  };
  check();
  ctx.run();
  double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  (void)secs;

  double rate = static_cast<double>(measured) / cfg.duration;
  std::cout << "backend=" << ctx.backend_name() << " connections=" << cfg.connections
            << " size=" << cfg.size << " pipeline=" << cfg.pipeline
            << " round_trips=" << t.round_trips << " rate=" << static_cast<std::uint64_t>(rate)
            << "/s p50_us=" << percentile(t.latency_ns, 0.50)
            << " p99_us=" << percentile(t.latency_ns, 0.99) << " bytes_verified=" << t.bytes
            << " mismatches=" << t.mismatches << " errors=" << t.errors
            << " incomplete=" << t.incomplete << std::endl;
  return (t.mismatches || t.errors || t.incomplete || t.round_trips == 0) ? 1 : 0;
}
