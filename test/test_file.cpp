#define BOOST_TEST_MODULE file
#include <boost/test/unit_test.hpp>

#include <blitz/io_context.hpp>
#include <blitz/random_access_file.hpp>
#include <blitz/read_at.hpp>
#include <blitz/stream_file.hpp>
#include <blitz/streambuf.hpp>
#include <blitz/write.hpp>
#include <blitz/write_at.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using boost::system::error_code;

namespace {

// A private directory under /tmp; every file made through path() is removed with it.
struct temp_dir
{
  std::string dir;
  std::set<std::string> files;

  temp_dir()
  {
    char tmpl[] = "/tmp/blitz_file_XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~temp_dir()
  {
    for (const std::string& f : files)
      ::unlink(f.c_str());
    ::rmdir(dir.c_str());
  }
  std::string path(const std::string& name)
  {
    std::string p = dir + "/" + name;
    files.insert(p);
    return p;
  }
};

std::vector<char> pattern(std::size_t n, unsigned seed)
{
  std::vector<char> v(n);
  std::uint32_t x = 0x9e3779b9u * (seed + 1);
  for (std::size_t i = 0; i < n; ++i)
  {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v[i] = static_cast<char>(x & 0xff);
  }
  return v;
}

void write_whole(const std::string& p, const std::vector<char>& data)
{
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  BOOST_REQUIRE(fd >= 0);
  std::size_t done = 0;
  while (done < data.size())
  {
    ssize_t r = ::write(fd, data.data() + done, data.size() - done);
    BOOST_REQUIRE(r > 0);
    done += static_cast<std::size_t>(r);
  }
  ::close(fd);
}

std::vector<char> read_whole(const std::string& p)
{
  std::vector<char> out;
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE(fd >= 0);
  char buf[65536];
  for (;;)
  {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    BOOST_REQUIRE(r >= 0);
    if (r == 0)
      break;
    out.insert(out.end(), buf, buf + r);
  }
  ::close(fd);
  return out;
}

// Stream copy as a user would write it: read a chunk, write it all, repeat until eof.
struct stream_copier : std::enable_shared_from_this<stream_copier>
{
  blitz::stream_file& in;
  blitz::stream_file& out;
  std::vector<char> buf;
  std::size_t copied = 0;
  error_code final_ec;
  bool done = false;

  stream_copier(blitz::stream_file& i, blitz::stream_file& o, std::size_t chunk)
    : in(i), out(o), buf(chunk)
  {
  }

  void start()
  {
    auto self = shared_from_this();
    in.async_read_some(blitz::buffer(buf), [self](const error_code& ec, std::size_t n) {
      if (ec)
      {
        self->final_ec = ec;
        self->done = true;
        return;
      }
      blitz::async_write(self->out, blitz::buffer(self->buf.data(), n),
                         [self, n](const error_code& ec, std::size_t written) {
                           BOOST_REQUIRE(!ec);
                           BOOST_REQUIRE(written == n);
                           self->copied += written;
                           self->start();
                         });
    });
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(stream_file_copies_several_mib_byte_for_byte)
{
  temp_dir tmp;
  const std::string src = tmp.path("src"), dst = tmp.path("dst");
  const std::vector<char> data = pattern(6 * 1024 * 1024 + 12345, 1);
  write_whole(src, data);

  blitz::io_context ctx;
  blitz::stream_file in(ctx, src, blitz::stream_file::read_only);
  blitz::stream_file out(ctx, dst, blitz::stream_file::write_only | blitz::stream_file::create |
                                       blitz::stream_file::truncate);
  BOOST_TEST(in.is_open());
  BOOST_TEST(in.size() == data.size());
  auto copier = std::make_shared<stream_copier>(in, out, 256 * 1024 + 7);
  copier->start();
  ctx.run();
  BOOST_TEST(copier->done);
  BOOST_TEST((copier->final_ec == blitz::error::eof));
  BOOST_TEST(copier->copied == data.size());
  out.sync_all();
  BOOST_TEST(out.size() == data.size());
  BOOST_TEST((read_whole(dst) == data));
}

BOOST_AUTO_TEST_CASE(random_access_copy_with_read_at_write_at_in_parallel)
{
  temp_dir tmp;
  const std::string src = tmp.path("src"), dst = tmp.path("dst");
  const std::vector<char> data = pattern(5 * 1024 * 1024 + 999, 2);
  write_whole(src, data);

  blitz::io_context ctx;
  blitz::random_access_file in(ctx, src, blitz::random_access_file::read_only);
  blitz::random_access_file out(ctx);
  out.open(dst, blitz::random_access_file::read_write | blitz::random_access_file::create);
  out.resize(data.size());

  // Four chunks in flight at once, each read then written at its own offset.
  const std::size_t chunk = 1024 * 1024;
  const std::size_t chunks = (data.size() + chunk - 1) / chunk;
  std::vector<std::vector<char>> bufs(chunks, std::vector<char>(chunk));
  std::size_t written = 0, finished = 0, next = 0;
  std::function<void()> launch = [&] {
    if (next >= chunks)
      return;
    std::size_t i = next++;
    std::uint64_t off = i * chunk;
    blitz::async_read_at(
        in, off, blitz::buffer(bufs[i]), [&, i, off](const error_code& ec, std::size_t n) {
          // The last chunk is short: eof with the bytes that were there.
          BOOST_REQUIRE((!ec || (ec == blitz::error::eof && i == chunks - 1)));
          blitz::async_write_at(out, off, blitz::buffer(bufs[i].data(), n),
                                [&, n](const error_code& ec, std::size_t w) {
                                  BOOST_REQUIRE(!ec);
                                  BOOST_REQUIRE(w == n);
                                  written += w;
                                  ++finished;
                                  launch();
                                });
        });
  };
  for (int k = 0; k < 4; ++k)
    launch();
  ctx.run();
  BOOST_TEST(finished == chunks);
  BOOST_TEST(written == data.size());
  out.sync_data();
  BOOST_TEST((read_whole(dst) == data));

  // The synchronous composed forms agree.
  std::vector<char> back(data.size());
  BOOST_TEST(blitz::read_at(out, 0, blitz::buffer(back)) == data.size());
  BOOST_TEST((back == data));
  error_code ec;
  std::vector<char> tail(100);
  BOOST_TEST(blitz::read_at(out, data.size() - 10, blitz::buffer(tail), ec) == 10u);
  BOOST_TEST((ec == blitz::error::eof));
}

BOOST_AUTO_TEST_CASE(open_missing_file_is_no_such_file_or_directory)
{
  temp_dir tmp;
  blitz::io_context ctx;
  blitz::stream_file f(ctx);
  error_code ec;
  f.open(tmp.dir + "/does-not-exist", blitz::stream_file::read_only, ec);
  BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));
  BOOST_TEST((ec.category() == boost::system::system_category()));
  BOOST_TEST(!f.is_open());
  BOOST_CHECK_THROW(blitz::random_access_file(ctx, tmp.dir + "/nope",
                                              blitz::random_access_file::read_only),
                    boost::system::system_error);

  // exclusive|create on an existing file.
  const std::string p = tmp.path("exists");
  write_whole(p, pattern(10, 3));
  f.open(p, blitz::stream_file::write_only | blitz::stream_file::create |
                blitz::stream_file::exclusive,
         ec);
  BOOST_TEST((ec == boost::system::errc::file_exists));
}

BOOST_AUTO_TEST_CASE(reading_past_the_end_is_eof)
{
  temp_dir tmp;
  const std::string p = tmp.path("small");
  const std::vector<char> data = pattern(1000, 4);
  write_whole(p, data);
  blitz::io_context ctx;
  blitz::stream_file s(ctx, p, blitz::stream_file::read_only);
  blitz::random_access_file r(ctx, p, blitz::random_access_file::read_only);

  char buf[4096];
  error_code ec;
  BOOST_TEST(s.read_some(blitz::buffer(buf), ec) == 1000u);
  BOOST_TEST(!ec);
  BOOST_TEST(s.read_some(blitz::buffer(buf), ec) == 0u);
  BOOST_TEST((ec == blitz::error::eof));
  BOOST_TEST(r.read_some_at(5000, blitz::buffer(buf), ec) == 0u);
  BOOST_TEST((ec == blitz::error::eof));

  error_code a1, a2;
  std::size_t n1 = 99, n2 = 99;
  s.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    a1 = ec;
    n1 = n;
  });
  r.async_read_some_at(1000, blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    a2 = ec;
    n2 = n;
  });
  ctx.run();
  BOOST_TEST((a1 == blitz::error::eof));
  BOOST_TEST((a2 == blitz::error::eof));
  BOOST_TEST(n1 == 0u);
  BOOST_TEST(n2 == 0u);

  // async_read_at into more than the file holds: eof and the bytes that were there.
  std::vector<char> big(4000);
  std::size_t got = 0;
  blitz::async_read_at(r, 0, blitz::buffer(big), [&](const error_code& ec, std::size_t n) {
    a1 = ec;
    got = n;
  });
  ctx.restart();
  ctx.run();
  BOOST_TEST((a1 == blitz::error::eof));
  BOOST_TEST(got == data.size());
  BOOST_TEST(std::memcmp(big.data(), data.data(), data.size()) == 0);
}

BOOST_AUTO_TEST_CASE(stream_position_seek_resize_size_sync)
{
  temp_dir tmp;
  const std::string p = tmp.path("pos");
  blitz::io_context ctx;
  blitz::stream_file f(ctx, p, blitz::stream_file::read_write | blitz::stream_file::create);
  BOOST_TEST(f.size() == 0u);
  std::string hello = "hello, file";
  BOOST_TEST(blitz::write(f, blitz::buffer(hello)) == hello.size());
  BOOST_TEST(f.size() == hello.size());
  BOOST_TEST(f.seek(0, blitz::file_base::seek_cur) == hello.size());
  BOOST_TEST(f.seek(7, blitz::file_base::seek_set) == 7u);

  char buf[16] = {};
  bool done = false;
  f.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(std::string(buf, n) == "file");
    done = true;
  });
  ctx.run();
  BOOST_TEST(done);
  // The async read advanced the position.
  BOOST_TEST(f.seek(0, blitz::file_base::seek_cur) == hello.size());
  BOOST_TEST(f.seek(-4, blitz::file_base::seek_end) == 7u);
  error_code ec;
  f.seek(-100, blitz::file_base::seek_cur, ec);
  BOOST_TEST((ec == blitz::error::invalid_argument));

  f.resize(3);
  BOOST_TEST(f.size() == 3u);
  f.resize(1 << 20);
  BOOST_TEST(f.size() == (1u << 20));
  f.sync_all();
  f.sync_data();

  // A write at a position past the end leaves a hole that reads as zeros.
  f.seek(2 << 20, blitz::file_base::seek_set);
  BOOST_TEST(f.write_some(blitz::buffer("z", 1)) == 1u);
  BOOST_TEST(f.size() == (2u << 20) + 1);
}

BOOST_AUTO_TEST_CASE(append_mode_writes_at_the_end)
{
  temp_dir tmp;
  const std::string p = tmp.path("log");
  write_whole(p, std::vector<char>{'a', 'b', 'c'});
  blitz::io_context ctx;
  blitz::stream_file f(ctx, p, blitz::stream_file::write_only | blitz::stream_file::append);
  bool done = false;
  blitz::async_write(f, blitz::buffer("def", 3), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 3u);
    blitz::async_write(f, blitz::buffer("gh", 2), [&](const error_code& ec, std::size_t) {
      BOOST_TEST(!ec);
      done = true;
    });
  });
  ctx.run();
  BOOST_TEST(done);
  std::vector<char> got = read_whole(p);
  BOOST_TEST(std::string(got.begin(), got.end()) == "abcdefgh");
  BOOST_TEST(f.seek(0, blitz::file_base::seek_cur) == 8u);
}

BOOST_AUTO_TEST_CASE(cancel_aborts_a_pending_read)
{
  // A FIFO has no data until someone writes, so the read is certainly still pending when
  // cancel() runs, on every backend.
  temp_dir tmp;
  const std::string p = tmp.path("fifo");
  BOOST_REQUIRE(::mkfifo(p.c_str(), 0600) == 0);
  blitz::io_context ctx;
  // read_write: opening a FIFO for reading alone would block until a writer appears.
  blitz::stream_file f(ctx, p, blitz::stream_file::read_write);
  char buf[16];
  error_code got;
  int calls = 0;
  f.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t n) {
    got = ec;
    BOOST_TEST(n == 0u);
    ++calls;
  });
  BOOST_TEST(ctx.poll() == 0u);
  f.cancel();
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((got == blitz::error::operation_aborted));

  // Still usable after a cancel: data written to the FIFO is read.
  BOOST_TEST(f.write_some(blitz::buffer("xyz", 3)) == 3u);
  std::size_t n = 0;
  f.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t k) {
    BOOST_TEST(!ec);
    n = k;
  });
  ctx.restart();
  ctx.run();
  BOOST_TEST(n == 3u);
  BOOST_CHECK_THROW(f.seek(0, blitz::file_base::seek_set), boost::system::system_error);

  // close() with a read pending completes it with operation_aborted too.
  f.async_read_some(blitz::buffer(buf), [&](const error_code& ec, std::size_t) { got = ec; });
  got = error_code();
  ctx.restart();
  ctx.poll();
  f.close();
  ctx.run();
  BOOST_TEST((got == blitz::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(cancel_of_regular_file_reads_completes_each_exactly_once)
{
  // A regular-file read may already be in the kernel (or on a pool thread) when cancel()
  // runs; it then completes with its result instead. Either way: once, never lost.
  temp_dir tmp;
  const std::string p = tmp.path("data");
  const std::vector<char> data = pattern(1 << 20, 5);
  write_whole(p, data);
  blitz::io_context ctx;
  blitz::random_access_file f(ctx, p, blitz::random_access_file::read_only);
  std::vector<std::vector<char>> bufs(16, std::vector<char>(64 * 1024));
  int ok = 0, aborted = 0;
  for (std::size_t i = 0; i < bufs.size(); ++i)
    f.async_read_some_at(i * 65536, blitz::buffer(bufs[i]),
                         [&](const error_code& ec, std::size_t n) {
                           if (!ec)
                           {
                             BOOST_TEST(n > 0u);
                             ++ok;
                           }
                           else
                           {
                             BOOST_TEST((ec == blitz::error::operation_aborted));
                             ++aborted;
                           }
                         });
  f.cancel();
  ctx.run();
  BOOST_TEST(ok + aborted == 16);
}

BOOST_AUTO_TEST_CASE(closed_files_zero_length_transfers_and_release)
{
  temp_dir tmp;
  const std::string p = tmp.path("z");
  write_whole(p, pattern(100, 6));
  blitz::io_context ctx;
  blitz::random_access_file closed(ctx);
  char buf[8];
  error_code got;
  closed.async_read_some_at(0, blitz::buffer(buf), [&](const error_code& ec, std::size_t) {
    got = ec;
  });
  ctx.run();
  BOOST_TEST((got == blitz::error::bad_descriptor));
  error_code ec;
  closed.size(ec);
  BOOST_TEST((ec == blitz::error::bad_descriptor));
  BOOST_CHECK_THROW(closed.cancel(), boost::system::system_error);

  // A zero-length read completes with success and no bytes, never inside the call.
  blitz::stream_file f(ctx, p, blitz::stream_file::read_only);
  bool called = false;
  f.async_read_some(blitz::mutable_buffer(), [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == 0u);
    called = true;
  });
  BOOST_TEST(!called);
  ctx.restart();
  ctx.run();
  BOOST_TEST(called);

  // release(): the descriptor survives, positioned where the file object was.
  BOOST_TEST(f.read_some(blitz::buffer(buf, 5)) == 5u);
  int fd = f.release();
  BOOST_TEST(!f.is_open());
  BOOST_TEST(::lseek(fd, 0, SEEK_CUR) == 5);
  // assign() takes it back and continues from there.
  blitz::stream_file g(ctx, fd);
  BOOST_TEST(g.seek(0, blitz::file_base::seek_cur) == 5u);
  BOOST_TEST(g.native_handle() == fd);

  // Moving a file keeps it open on the new object.
  blitz::stream_file moved(std::move(g));
  BOOST_TEST(moved.is_open());
  BOOST_TEST(moved.read_some(blitz::buffer(buf, 8)) == 8u);
}

BOOST_AUTO_TEST_CASE(streambuf_read_at_and_write_at)
{
  temp_dir tmp;
  const std::string p = tmp.path("sb");
  const std::vector<char> data = pattern(3000, 7);
  blitz::io_context ctx;
  blitz::random_access_file f(ctx, p,
                              blitz::random_access_file::read_write | blitz::random_access_file::create);
  blitz::streambuf out;
  out.sputn(data.data(), static_cast<std::streamsize>(data.size()));
  bool wrote = false;
  blitz::async_write_at(f, 100, out, [&](const error_code& ec, std::size_t n) {
    BOOST_TEST(!ec);
    BOOST_TEST(n == data.size());
    wrote = true;
  });
  ctx.run();
  BOOST_TEST(wrote);
  BOOST_TEST(out.size() == 0u); // consumed

  blitz::streambuf in;
  error_code got;
  std::size_t n = 0;
  blitz::async_read_at(f, 100, in, [&](const error_code& ec, std::size_t k) {
    got = ec;
    n = k;
  });
  ctx.restart();
  ctx.run();
  BOOST_TEST((got == blitz::error::eof));
  BOOST_TEST(n == data.size());
  BOOST_TEST(std::string(blitz::buffer_cast<const char*>(in.data()), in.size()) ==
             std::string(data.begin(), data.end()));

  blitz::streambuf sync_in;
  error_code ec;
  BOOST_TEST(blitz::read_at(f, 100 + 1000, sync_in, ec) == 2000u);
  BOOST_TEST((ec == blitz::error::eof));
}
