// Runs a command with io_uring blocked by seccomp (io_uring_setup fails with EPERM):
//
//   no_uring stage/bin/echo_server 5555
//
// blitz-io programs started this way must come up on the epoll backend by themselves.
#include "no_uring_filter.hpp"

#include <cstdio>
#include <cstring>
#include <unistd.h>

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::fprintf(stderr, "usage: no_uring COMMAND [ARGS...]\n");
    return 2;
  }
  if (int e = blitz_example::block_io_uring())
  {
    std::fprintf(stderr, "no_uring: cannot install the seccomp filter: %s\n", std::strerror(e));
    return 1;
  }
  ::execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_uring: %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
