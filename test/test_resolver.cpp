#define BOOST_TEST_MODULE resolver
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>
#include <blitz/detail/blocking_pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <string>
#include <thread>
#include <vector>

// No test here needs DNS: "localhost" and 127.0.0.1 come from /etc/hosts, services are
// numeric or absent from /etc/services, and failing names sit under the reserved .invalid
// TLD with numeric_host, so getaddrinfo rejects them without asking anyone.

using namespace std::chrono_literals;
using blitz::ip::tcp;
using blitz::ip::udp;
using boost::system::error_code;

namespace {

// Keeps every blocking-pool thread busy until released, so a resolve queued behind them
// cannot finish before the test has cancelled it. The pool runs tasks in FIFO order and
// caps its threads far below `count`, so the lookup waits its turn behind all of them.
class pool_plug
{
public:
  explicit pool_plug(int count = 256) : state_(std::make_shared<state>())
  {
    for (int i = 0; i < count; ++i)
    {
      auto s = state_;
      blitz::detail::blocking_pool::global().submit([s] {
        std::unique_lock<std::mutex> lock(s->mutex);
        s->cv.wait(lock, [&] { return s->open; });
      });
    }
  }
  ~pool_plug() { release(); }
  void release()
  {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->open = true;
    }
    state_->cv.notify_all();
  }

private:
  struct state
  {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
  };
  std::shared_ptr<state> state_;
};

const blitz::ip::resolver_base::flags numeric =
    blitz::ip::resolver_base::numeric_host | blitz::ip::resolver_base::numeric_service;

} // namespace

BOOST_AUTO_TEST_CASE(sync_localhost_forward)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  tcp::resolver::results_type rs = r.resolve("localhost", "80");
  BOOST_REQUIRE(!rs.empty());
  BOOST_TEST(rs.size() >= 1u);
  for (const auto& e : rs)
  {
    BOOST_TEST(e.endpoint().address().is_loopback());
    BOOST_TEST(e.endpoint().port() == 80);
    BOOST_TEST(e.host_name() == "localhost");
    BOOST_TEST(e.service_name() == "80");
    tcp::endpoint ep = e; // entries convert to endpoints
    BOOST_TEST((ep == e.endpoint()));
  }
  error_code ec;
  auto rs2 = r.resolve("localhost", "81", ec);
  BOOST_TEST(!ec);
  BOOST_TEST(!rs2.empty());
}

BOOST_AUTO_TEST_CASE(numeric_forms_protocols_and_flags)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  auto rs = r.resolve("127.0.0.1", "8080", numeric);
  BOOST_REQUIRE(rs.size() == 1u);
  BOOST_TEST((rs.begin()->endpoint() == tcp::endpoint(blitz::ip::make_address("127.0.0.1"), 8080)));

  auto v6 = r.resolve(tcp::v6(), "::1", "443", numeric);
  BOOST_REQUIRE(v6.size() == 1u);
  BOOST_TEST(v6.begin()->endpoint().address().is_v6());
  BOOST_TEST(v6.begin()->endpoint().port() == 443);

  // Restricted to IPv4, "localhost" gives only IPv4 addresses.
  auto v4 = r.resolve(tcp::v4(), "localhost", "22");
  BOOST_REQUIRE(!v4.empty());
  for (const auto& e : v4)
    BOOST_TEST(e.endpoint().address().is_v4());

  // Passive with no host: the wildcard address, for binding.
  auto any = r.resolve(tcp::v4(), "", "9000", blitz::ip::resolver_base::passive | numeric);
  BOOST_REQUIRE(any.size() == 1u);
  BOOST_TEST(any.begin()->endpoint().address().is_unspecified());

  // udp too, and the canonical name flag.
  udp::resolver ur(ctx);
  auto u = ur.resolve(udp::v4(), "localhost", "53", blitz::ip::resolver_base::canonical_name);
  BOOST_REQUIRE(!u.empty());
  BOOST_TEST(!u.begin()->host_name().empty());
  BOOST_TEST(u.begin()->endpoint().port() == 53);

  error_code ec;
  auto t = r.resolve(tcp::v4(), "127.0.0.1", "1", numeric, ec);
  BOOST_TEST(!ec);
  BOOST_TEST(t.size() == 1u);
  auto t2 = r.resolve(tcp::v4(), "127.0.0.1", "2", ec);
  BOOST_TEST(!ec);
  BOOST_TEST(t2.size() == 1u);
  auto t3 = r.resolve(tcp::v4(), "127.0.0.1", "3");
  BOOST_TEST(t3.size() == 1u);
}

BOOST_AUTO_TEST_CASE(legacy_query_form)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  tcp::resolver::query q("127.0.0.1", "7", numeric);
  BOOST_TEST(q.host_name() == "127.0.0.1");
  BOOST_TEST(q.service_name() == "7");
  BOOST_TEST(q.hints().ai_socktype == SOCK_STREAM);
  tcp::resolver::iterator it = r.resolve(q); // results are iterators too, as in Asio
  BOOST_REQUIRE((it != tcp::resolver::iterator()));
  BOOST_TEST(it->endpoint().port() == 7);
  ++it;
  BOOST_TEST((it == tcp::resolver::iterator()));

  tcp::resolver::query passive(tcp::v4(), "8");
  BOOST_TEST((passive.hints().ai_flags & AI_PASSIVE) != 0);
  error_code ec;
  auto rs = r.resolve(passive, ec);
  BOOST_TEST(!ec);
  BOOST_REQUIRE(!rs.empty());
  BOOST_TEST(rs.begin()->endpoint().address().is_unspecified());
}

BOOST_AUTO_TEST_CASE(results_behave_as_a_shared_range)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  tcp::resolver::results_type empty;
  BOOST_TEST(empty.empty());
  BOOST_TEST(empty.size() == 0u);
  BOOST_TEST((empty.begin() == empty.end()));

  auto rs = r.resolve("127.0.0.1", "5", numeric);
  auto copy = rs;
  BOOST_TEST((copy == rs));
  BOOST_TEST((copy != empty));
  BOOST_TEST(std::distance(rs.begin(), rs.end()) == 1);
  BOOST_TEST(std::distance(rs.cbegin(), rs.cend()) == 1);
  tcp::resolver::results_type::const_iterator it = rs.begin();
  rs = tcp::resolver::results_type(); // iterators keep the entries alive
  BOOST_TEST(it->endpoint().port() == 5);
  BOOST_TEST((*it).service_name() == "5");
  auto it2 = it++;
  BOOST_TEST((it2 != it));
  BOOST_TEST((it == copy.end()));
  copy.swap(rs);
  BOOST_TEST(copy.empty());
  BOOST_TEST(rs.size() == 1u);
  BOOST_TEST(rs.max_size() > 0u);
}

BOOST_AUTO_TEST_CASE(failures_map_like_asio)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  error_code ec;
  auto rs = r.resolve("no-such-host.invalid", "80", numeric, ec);
  BOOST_TEST((ec == blitz::error::host_not_found));
  BOOST_TEST(rs.empty());
  try
  {
    r.resolve("no-such-host.invalid", "80", numeric);
    BOOST_FAIL("resolving a .invalid name succeeded");
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == blitz::error::host_not_found));
  }

  r.resolve("127.0.0.1", "no-such-service-xyz", blitz::ip::resolver_base::numeric_host, ec);
  BOOST_TEST((ec == blitz::error::service_not_found));
  // A service name where a number was promised (glibc calls it EAI_NONAME).
  r.resolve("127.0.0.1", "http", numeric, ec);
  BOOST_TEST(!!ec);
  // Neither host nor service.
  r.resolve("", "", ec);
  BOOST_TEST((ec == blitz::error::host_not_found));
  // An IPv6 literal for an IPv4-only query.
  r.resolve(tcp::v4(), "::1", "80", numeric, ec);
  BOOST_TEST(!!ec);

  using blitz::detail::translate_addrinfo_error;
  BOOST_TEST(!translate_addrinfo_error(0, 0));
  BOOST_TEST((translate_addrinfo_error(EAI_NONAME, 0) == blitz::error::host_not_found));
  BOOST_TEST((translate_addrinfo_error(EAI_SERVICE, 0) == blitz::error::service_not_found));
  BOOST_TEST((translate_addrinfo_error(EAI_AGAIN, 0) == blitz::error::host_not_found_try_again));
  BOOST_TEST((translate_addrinfo_error(EAI_FAIL, 0) == blitz::error::no_recovery));
  BOOST_TEST((translate_addrinfo_error(EAI_FAMILY, 0) == blitz::error::address_family_not_supported));
  BOOST_TEST((translate_addrinfo_error(EAI_SOCKTYPE, 0) == blitz::error::socket_type_not_supported));
  BOOST_TEST((translate_addrinfo_error(EAI_MEMORY, 0) == blitz::error::no_memory));
  BOOST_TEST((translate_addrinfo_error(EAI_BADFLAGS, 0) == blitz::error::invalid_argument));
  BOOST_TEST((translate_addrinfo_error(EAI_SYSTEM, EMFILE) == blitz::error::no_descriptors));
  BOOST_TEST(!!translate_addrinfo_error(EAI_SYSTEM, 0)); // never success by accident
#if defined(EAI_NODATA)
  BOOST_TEST((translate_addrinfo_error(EAI_NODATA, 0) == blitz::error::host_not_found));
#endif
#if defined(EAI_ADDRFAMILY)
  BOOST_TEST((translate_addrinfo_error(EAI_ADDRFAMILY, 0) == blitz::error::host_not_found));
#endif
}

BOOST_AUTO_TEST_CASE(reverse_resolution)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  const tcp::endpoint ep(blitz::ip::make_address("127.0.0.1"), 80);
  auto rs = r.resolve(ep);
  BOOST_REQUIRE(rs.size() == 1u);
  BOOST_TEST((rs.begin()->endpoint() == ep));
  BOOST_TEST(rs.begin()->host_name() == "localhost"); // from /etc/hosts
  BOOST_TEST((rs.begin()->service_name() == "http" || rs.begin()->service_name() == "80"));

  // A port without a services entry comes back as a number.
  error_code ec;
  auto rs2 = r.resolve(tcp::endpoint(blitz::ip::make_address("127.0.0.1"), 64999), ec);
  BOOST_TEST(!ec);
  BOOST_REQUIRE(rs2.size() == 1u);
  BOOST_TEST(rs2.begin()->service_name() == "64999");

  udp::resolver ur(ctx);
  auto u = ur.resolve(udp::endpoint(blitz::ip::make_address("127.0.0.1"), 53));
  BOOST_REQUIRE(u.size() == 1u);
  BOOST_TEST((u.begin()->service_name() == "domain" || u.begin()->service_name() == "53"));
}

BOOST_AUTO_TEST_CASE(async_forward_reverse_and_failures)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  int calls = 0;
  r.async_resolve("localhost", "80", [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST(!ec);
    BOOST_TEST(!rs.empty());
    ++calls;
  });
  r.async_resolve("127.0.0.1", "81", numeric, [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST(!ec);
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs.begin()->endpoint().port() == 81);
    ++calls;
  });
  r.async_resolve(tcp::v4(), "localhost", "82", [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST(!ec);
    for (const auto& e : rs)
      BOOST_TEST(e.endpoint().address().is_v4());
    ++calls;
  });
  r.async_resolve(tcp::v4(), "127.0.0.1", "83", numeric,
                  [&](const error_code& ec, tcp::resolver::results_type rs) {
                    BOOST_TEST(!ec);
                    BOOST_TEST(rs.size() == 1u);
                    ++calls;
                  });
  r.async_resolve(tcp::resolver::query("127.0.0.1", "84", numeric),
                  [&](const error_code& ec, tcp::resolver::results_type rs) {
                    BOOST_TEST(!ec);
                    BOOST_TEST(rs.size() == 1u);
                    ++calls;
                  });
  r.async_resolve(tcp::endpoint(blitz::ip::make_address("127.0.0.1"), 64998),
                  [&](const error_code& ec, tcp::resolver::results_type rs) {
                    BOOST_TEST(!ec);
                    BOOST_REQUIRE(rs.size() == 1u);
                    BOOST_TEST(rs.begin()->host_name() == "localhost");
                    BOOST_TEST(rs.begin()->service_name() == "64998");
                    ++calls;
                  });
  r.async_resolve("x.invalid", "80", numeric, [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST((ec == blitz::error::host_not_found));
    BOOST_TEST(rs.empty());
    ++calls;
  });
  r.async_resolve("127.0.0.1", "no-such-service-xyz", blitz::ip::resolver_base::numeric_host,
                  [&](const error_code& ec, tcp::resolver::results_type) {
                    BOOST_TEST((ec == blitz::error::service_not_found));
                    ++calls;
                  });
  BOOST_TEST(calls == 0); // never inside the initiating call
  ctx.run();
  BOOST_TEST(calls == 8);
}

BOOST_AUTO_TEST_CASE(cancel_aborts_pending_resolves_exactly_once)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  pool_plug plug;
  int calls = 0;
  error_code got;
  r.async_resolve("localhost", "80", [&](const error_code& ec, tcp::resolver::results_type rs) {
    ++calls;
    got = ec;
    BOOST_TEST(rs.empty());
  });
  r.async_resolve(tcp::endpoint(blitz::ip::address_v4::loopback(), 80),
                  [&](const error_code& ec, tcp::resolver::results_type) {
                    ++calls;
                    BOOST_TEST((ec == blitz::error::operation_aborted));
                  });
  blitz::post(ctx, [&] { r.cancel(); });
  ctx.run();
  BOOST_TEST(calls == 2);
  BOOST_TEST((got == blitz::error::operation_aborted));

  // The lookups finish later, in the background, and must not complete anything again.
  plug.release();
  std::this_thread::sleep_for(50ms);
  ctx.restart();
  ctx.poll();
  BOOST_TEST(calls == 2);

  // The resolver still works after a cancel.
  ctx.restart();
  r.async_resolve("127.0.0.1", "1", numeric, [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST(!ec);
    BOOST_TEST(rs.size() == 1u);
    ++calls;
  });
  ctx.run();
  BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_CASE(destroying_resolver_then_context_with_lookup_in_flight)
{
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  error_code got;
  {
    pool_plug plug;
    {
      blitz::io_context ctx;
      {
        tcp::resolver r(ctx);
        r.async_resolve("localhost", "80", [token, &got](const error_code& ec, tcp::resolver::results_type) {
          got = ec;
        });
      } // destroyed: the handler is queued with operation_aborted
      ctx.run();
      BOOST_TEST((got == blitz::error::operation_aborted));

      tcp::resolver r2(ctx);
      r2.async_resolve("localhost", "80", [token](const error_code&, tcp::resolver::results_type) {
        BOOST_FAIL("a handler of a destroyed context ran");
      });
      token.reset();
    } // resolver, then context, destroyed without running: handler destroyed, not invoked
    BOOST_TEST(watch.expired());
    // Only now do the lookups finish; they find nothing to complete (ASan would catch a
    // write into the freed context).
    plug.release();
    std::this_thread::sleep_for(50ms);
  }
}

BOOST_AUTO_TEST_CASE(moved_resolver_keeps_its_pending_resolves)
{
  blitz::io_context ctx;
  tcp::resolver r(ctx);
  int calls = 0;
  r.async_resolve("127.0.0.1", "9", numeric, [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_TEST(!ec);
    BOOST_TEST(rs.size() == 1u);
    ++calls;
  });
  tcp::resolver r2(std::move(r));
  tcp::resolver r3(ctx.get_executor());
  r3 = std::move(r2);
  BOOST_TEST((r3.get_executor() == ctx.get_executor()));
  ctx.run();
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(resolve_then_connect)
{
  blitz::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0));
  const std::string port = std::to_string(acceptor.local_endpoint().port());
  tcp::resolver r(ctx);
  tcp::socket s(ctx);
  tcp::endpoint connected;
  r.async_resolve(tcp::v4(), "localhost", port, [&](const error_code& ec, tcp::resolver::results_type rs) {
    BOOST_REQUIRE(!ec);
    blitz::async_connect(s, rs, [&](const error_code& ec, const tcp::endpoint& ep) {
      BOOST_TEST(!ec);
      connected = ep;
    });
  });
  acceptor.async_accept([](const error_code& ec, tcp::socket) { BOOST_TEST(!ec); });
  ctx.run();
  BOOST_TEST((connected == acceptor.local_endpoint()));

  tcp::socket s2(ctx);
  tcp::endpoint ep = blitz::connect(s2, r.resolve(tcp::v4(), "127.0.0.1", port));
  BOOST_TEST((ep == acceptor.local_endpoint()));
}
