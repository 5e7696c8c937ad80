// Raw liburing echo peer for tools/bench: the floor any io_uring framework is measured
// against. One thread, one ring, the protocol of example/echo (recv up to 4 KiB, send all of
// it back, TCP_NODELAY), nothing but the SQEs the protocol needs.
//
//   uring_echo_server PORT            listens on 127.0.0.1:PORT
//
// Each connection has exactly one operation in flight (a recv, or a send of what the last
// recv brought), so its buffer is never shared and a failed or empty completion means the
// connection can be freed at once. New SQEs from a batch of completions go to the kernel
// together with the next wait, in one io_uring_enter.
#include <liburing.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct connection
{
  int fd;
  unsigned len;  // bytes the last recv brought
  unsigned sent; // of those, bytes already sent back
  char buf[4096];
};

// user_data: the connection pointer with the operation in its low bits (new aligns to at
// least 8); the accept is user_data 0.
enum op_tag : std::uintptr_t
{
  tag_accept = 0,
  tag_recv = 1,
  tag_send = 2,
  tag_mask = 3
};

io_uring ring;
int listen_fd = -1;
bool accept_armed = false;

io_uring_sqe* next_sqe()
{
  io_uring_sqe* sqe;
  // A full SQ is handed to the kernel early rather than treated as an error.
  while ((sqe = io_uring_get_sqe(&ring)) == nullptr)
    io_uring_submit(&ring);
  return sqe;
}

void arm_accept()
{
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag_accept);
  accept_armed = true;
}

void arm_recv(connection* c)
{
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, c->fd, c->buf, sizeof c->buf, 0);
  io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uintptr_t>(c) | tag_recv);
}

void arm_send(connection* c)
{
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uintptr_t>(c) | tag_send);
}

void drop(connection* c)
{
  close(c->fd);
  delete c;
  // A descriptor came free: an accept parked by EMFILE can try again.
  if (!accept_armed)
    arm_accept();
}

void on_accept(int res)
{
  accept_armed = false;
  if (res >= 0)
  {
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new connection;
    c->fd = res;
    c->len = c->sent = 0;
    arm_recv(c);
    arm_accept();
  }
  else if (res != -EMFILE && res != -ENFILE && res != -ENOBUFS && res != -ENOMEM)
    arm_accept(); // the peer gave up before we accepted it: nothing to wait for
  // else: retrying now would fail again at once; drop() re-arms when a descriptor frees.
}

void on_complete(const io_uring_cqe* cqe)
{
  std::uintptr_t data = static_cast<std::uintptr_t>(io_uring_cqe_get_data64(cqe));
  std::uintptr_t tag = data & tag_mask;
  if (tag == tag_accept)
  {
    on_accept(cqe->res);
    return;
  }
  auto* c = reinterpret_cast<connection*>(data & ~std::uintptr_t(tag_mask));
  if (cqe->res <= 0)
  {
    // 0 from recv is the peer's FIN; 0 from a non-empty send cannot happen on TCP.
    drop(c);
    return;
  }
  if (tag == tag_recv)
  {
    c->len = static_cast<unsigned>(cqe->res);
    c->sent = 0;
    arm_send(c);
  }
  else
  {
    c->sent += static_cast<unsigned>(cqe->res);
    if (c->sent < c->len)
      arm_send(c); // short send: the rest, from where it stopped
    else
      arm_recv(c);
  }
}

int open_listener(unsigned short port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0)
  {
    close(fd);
    return -1;
  }
  return fd;
}

int init_ring()
{
  io_uring_params p;
  std::memset(&p, 0, sizeof p);
  // Completions are only ever reaped by this thread, inside its own io_uring_enter: the
  // kernel can defer task work until then instead of interrupting the thread for it.
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(256, &ring, &p);
  if (rc == -EINVAL) // kernel older than 6.1
  {
    std::memset(&p, 0, sizeof p);
    rc = io_uring_queue_init_params(256, &ring, &p);
  }
  return rc;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::fprintf(stderr, "usage: uring_echo_server PORT\n");
    return 2;
  }
  listen_fd = open_listener(static_cast<unsigned short>(std::atoi(argv[1])));
  if (listen_fd < 0)
  {
    std::perror("uring_echo_server: listen");
    return 1;
  }
  int rc = init_ring();
  if (rc < 0)
  {
    std::fprintf(stderr, "uring_echo_server: io_uring_queue_init: %s\n", std::strerror(-rc));
    return 1;
  }
  std::printf("uring echo server listening on 127.0.0.1:%s\n", argv[1]);
  std::fflush(stdout);
  arm_accept();
  for (;;)
  {
    rc = io_uring_submit_and_wait(&ring, 1);
    // EINTR: a signal; EBUSY/EAGAIN: the kernel wants completions reaped before it takes
    // more submissions, which the loop below does. Unsubmitted SQEs stay queued.
    if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
    {
      std::fprintf(stderr, "uring_echo_server: io_uring_enter: %s\n", std::strerror(-rc));
      return 1;
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe)
    {
      on_complete(cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring, seen);
  }
}
