#define BOOST_TEST_MODULE chat
#include <boost/test/unit_test.hpp>

#include <blitz.hpp>

#include "../example/chat/chat.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

using chat::tcp;

namespace {

// A chat server and its clients, all on one io_context; each client's received lines are
// recorded in lines[i].
struct chat_fixture
{
  blitz::io_context ctx;
  chat::server srv{ctx, tcp::endpoint(blitz::ip::address_v4::loopback(), 0)};
  std::vector<std::unique_ptr<chat::client>> clients;
  std::vector<std::vector<std::string>> lines{16};

  std::size_t add_client()
  {
    std::size_t i = clients.size();
    std::vector<tcp::endpoint> eps{srv.local_endpoint()};
    clients.emplace_back(new chat::client(ctx, eps, [this, i](const std::string& l) { lines[i].push_back(l); }));
    return i;
  }

  // Clients that joined before anything was said need no history to see it all.
  void wait_participants(std::size_t n)
  {
    BOOST_REQUIRE(chat::run_until(ctx, [&] { return srv.participants() == n; }));
  }

  bool wait_lines(std::size_t i, std::size_t n)
  {
    return chat::run_until(ctx, [&] { return lines[i].size() >= n; });
  }
};

std::string line(int who, int n) { return "client " + std::to_string(who) + " line " + std::to_string(n); }

} // namespace

BOOST_FIXTURE_TEST_SUITE(chat_room, chat_fixture)

BOOST_AUTO_TEST_CASE(every_message_reaches_everyone_in_order)
{
  for (int i = 0; i < 3; ++i)
    add_client();
  wait_participants(3);
  const int rounds = 30;
  for (int r = 0; r < rounds; ++r)
    for (int i = 0; i < 3; ++i)
      clients[i]->write(line(i, r));
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_REQUIRE(wait_lines(i, 3 * rounds));
  chat::run_until(ctx, [] { return false; }, std::chrono::milliseconds(50)); // nothing extra
  for (std::size_t i = 0; i < 3; ++i)
  {
    BOOST_TEST(lines[i].size() == 3u * rounds);
    BOOST_TEST((lines[i] == lines[0])); // one room order, seen by all
  }
  std::vector<int> next(3, 0);
  for (const auto& l : lines[0])
  {
    int who = l[7] - '0';
    BOOST_TEST(l == line(who, next[who]++));
  }
  BOOST_TEST((next == std::vector<int>{rounds, rounds, rounds}));
}

BOOST_AUTO_TEST_CASE(late_joiner_gets_history_then_live_messages)
{
  add_client();
  wait_participants(1);
  for (int r = 0; r < 5; ++r)
    clients[0]->write(line(0, r));
  BOOST_REQUIRE(wait_lines(0, 5));
  std::size_t late = add_client();
  BOOST_REQUIRE(wait_lines(late, 5));
  BOOST_TEST((lines[late] == lines[0]));
  clients[late]->write("hello from the newcomer");
  BOOST_REQUIRE(wait_lines(0, 6));
  BOOST_REQUIRE(wait_lines(late, 6));
  BOOST_TEST(lines[0].back() == "hello from the newcomer");
  BOOST_TEST(lines[late].back() == "hello from the newcomer");
}

BOOST_AUTO_TEST_CASE(history_keeps_the_most_recent_messages)
{
  add_client();
  wait_participants(1);
  const int n = static_cast<int>(chat::max_recent_msgs) + 20;
  for (int r = 0; r < n; ++r)
    clients[0]->write(line(0, r));
  BOOST_REQUIRE(wait_lines(0, static_cast<std::size_t>(n)));
  std::size_t late = add_client();
  BOOST_REQUIRE(wait_lines(late, chat::max_recent_msgs));
  chat::run_until(ctx, [] { return false; }, std::chrono::milliseconds(50));
  BOOST_TEST(lines[late].size() == chat::max_recent_msgs);
  BOOST_TEST(lines[late].front() == line(0, 20));
  BOOST_TEST(lines[late].back() == line(0, n - 1));
}

BOOST_AUTO_TEST_CASE(a_client_leaving_does_not_disturb_the_others)
{
  for (int i = 0; i < 3; ++i)
    add_client();
  wait_participants(3);
  for (int r = 0; r < 10; ++r)
    clients[r % 3]->write(line(r % 3, r));
  // Client 1 leaves while the server may still have lines queued for it.
  clients[1]->close();
  wait_participants(2);
  for (int r = 10; r < 20; ++r)
    clients[r % 2 == 0 ? 0 : 2]->write(line(r % 2 == 0 ? 0 : 2, r));
  BOOST_REQUIRE(wait_lines(0, 20 - 10 / 3 - 1));
  BOOST_REQUIRE(wait_lines(2, lines[0].size()));
  chat::run_until(ctx, [] { return false; }, std::chrono::milliseconds(50));
  BOOST_TEST((lines[0] == lines[2]));
  BOOST_TEST(lines[0].back() == line(2, 19));
  BOOST_TEST(!clients[0]->closed());
  BOOST_TEST(!clients[2]->closed());
  BOOST_TEST(!clients[0]->error());
}

BOOST_AUTO_TEST_CASE(an_over_long_line_ends_only_its_sender)
{
  for (int i = 0; i < 2; ++i)
    add_client();
  wait_participants(2);
  clients[1]->write(std::string(chat::max_line + 100, 'x'));
  BOOST_REQUIRE(chat::run_until(ctx, [&] { return clients[1]->closed(); }));
  BOOST_TEST(srv.participants() == 1u);
  clients[0]->write("still here");
  BOOST_REQUIRE(wait_lines(0, 1));
  BOOST_TEST(lines[0].front() == "still here");
  BOOST_TEST(lines[1].empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(chat_example_self_test)
{
  BOOST_TEST(chat::self_test(20) == 0);
  // The staged programs too, when `b2 stage` has built them (tools/test does, and runs the
  // suites from the repository root).
  struct stat st;
  if (::stat("stage/bin/chat_server", &st) == 0)
    BOOST_TEST(std::system("stage/bin/chat_server --self-test >/dev/null") == 0);
  if (::stat("stage/bin/chat_client", &st) == 0)
    BOOST_TEST(std::system("stage/bin/chat_client --self-test >/dev/null") == 0);
}
