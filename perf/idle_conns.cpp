// Holds N idle connections to an echo server so tools/bench can read what each one costs the
// server in memory.
//
//   idle_conns PORT N
//
// Connections are opened one at a time, each sending one byte and waiting for its echo: the
// server has then accepted it and has a read pending on it, the state being measured, and the
// listen backlog never overflows (an overflowing backlog drops SYNs and stalls connect for a
// second per retry). Prints "ready N" once all are open, then waits until killed.
// Plain blocking sockets: the client must not share any code with the servers it measures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// Raises the soft descriptor limit to the hard one; the caller checks whether it is enough.
rlim_t raise_nofile()
{
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0)
    return 0;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur;
}

bool open_one(const sockaddr_in& addr, int& fd_out)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  // Bounded waits: a server that stops answering fails the run instead of hanging it.
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char byte = 'x';
  ssize_t n = -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, &byte, 1, MSG_NOSIGNAL) == 1)
  {
    do
      n = recv(fd, &byte, 1, 0);
    while (n < 0 && errno == EINTR);
  }
  if (n != 1)
  {
    close(fd);
    return false;
  }
  fd_out = fd;
  return true;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 3)
  {
    std::fprintf(stderr, "usage: idle_conns PORT N\n");
    return 2;
  }
  long count = std::atol(argv[2]);
  if (raise_nofile() < static_cast<rlim_t>(count) + 16)
  {
    std::fprintf(stderr, "idle_conns: RLIMIT_NOFILE too low for %ld connections\n", count);
    return 1;
  }
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<unsigned short>(std::atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i)
  {
    int fd;
    if (!open_one(addr, fd))
    {
      std::fprintf(stderr, "idle_conns: connection %ld: %s\n", i, std::strerror(errno));
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("ready %ld\n", count);
  std::fflush(stdout);
  for (;;)
    pause();
}
