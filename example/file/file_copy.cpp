// file_copy: copies a file with asynchronous stream_file reads and writes.
//
//   file_copy SRC DST
//
// Two buffers alternate so that the next read is already in flight while the previous
// chunk is being written: on io_uring both run in the kernel at once; under epoll they run
// on the blocking pool. Prints the number of bytes copied and the backend used.
#include <blitz/io_context.hpp>
#include <blitz/stream_file.hpp>
#include <blitz/write.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

class file_copy
{
public:
  file_copy(blitz::io_context& ctx, const char* src, const char* dst)
    : in_(ctx, src, blitz::stream_file::read_only),
      out_(ctx, dst,
           blitz::stream_file::write_only | blitz::stream_file::create |
               blitz::stream_file::truncate),
      bufs_{std::vector<char>(chunk), std::vector<char>(chunk)}
  {
  }

  void start() { read(0); }

  std::uint64_t copied() const { return copied_; }
  const boost::system::error_code& error() const { return error_; }

private:
  static constexpr std::size_t chunk = 1 << 20;

  // Reads into buffer i; when it arrives, writes it and reads the next chunk into the
  // other buffer meanwhile. The stream position orders the chunks: each read starts only
  // after the previous one completed.
  void read(int i)
  {
    in_.async_read_some(blitz::buffer(bufs_[i]),
                        [this, i](const boost::system::error_code& ec, std::size_t n) {
                          if (ec)
                          {
                            reading_done_ = true;
                            if (ec != blitz::error::eof)
                              error_ = ec;
                            return;
                          }
                          pending_.push_back(filled{i, n});
                          write_next();
                        });
  }

  // One write at a time, in read order; a read is started as soon as a buffer is free.
  void write_next()
  {
    if (writing_ || pending_.empty())
      return;
    filled c = pending_.front();
    pending_.erase(pending_.begin());
    writing_ = true;
    if (!reading_done_ && !error_)
      read(1 - c.buffer); // the other buffer is free: its chunk was written already
    blitz::async_write(out_, blitz::buffer(bufs_[c.buffer].data(), c.size),
                       [this](const boost::system::error_code& ec, std::size_t n) {
                         writing_ = false;
                         if (ec)
                         {
                           error_ = ec;
                           return;
                         }
                         copied_ += n;
                         write_next();
                       });
  }

  // A buffer holding a chunk that was read and awaits its write.
  struct filled
  {
    int buffer;
    std::size_t size;
  };

  blitz::stream_file in_;
  blitz::stream_file out_;
  std::vector<char> bufs_[2];
  std::vector<filled> pending_;
  bool writing_ = false;
  bool reading_done_ = false;
  std::uint64_t copied_ = 0;
  boost::system::error_code error_;
};

constexpr std::size_t file_copy::chunk;

} // namespace

int main(int argc, char** argv)
{
  if (argc != 3)
  {
    std::fprintf(stderr, "usage: %s SRC DST\n", argv[0]);
    return 2;
  }
  try
  {
    blitz::io_context ctx;
    file_copy copy(ctx, argv[1], argv[2]);
    copy.start();
    ctx.run();
    if (copy.error())
    {
      std::fprintf(stderr, "file_copy: %s\n", copy.error().message().c_str());
      return 1;
    }
    std::printf("copied %llu bytes (%s)\n", static_cast<unsigned long long>(copy.copied()),
                ctx.backend_name());
  }
  catch (const boost::system::system_error& e)
  {
    std::fprintf(stderr, "file_copy: %s\n", e.what());
    return 1;
  }
  return 0;
}
