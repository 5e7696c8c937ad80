// libuv echo peer for tools/bench: one loop, the protocol of example/echo (read up to
// 4 KiB, write all of it back, TCP_NODELAY).
//
//   uv_echo_server PORT            listens on 127.0.0.1:PORT
//
// Each connection owns one 4 KiB read buffer and keeps reading. An echo is first tried with
// uv_try_write, which almost always takes it all at once on loopback and leaves the buffer
// free for the next read; only a remainder is copied into a queued uv_write request. So
// the steady state allocates nothing and never stops and restarts reading, which is how a
// careful libuv server would be written.
#include <uv.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace {

struct connection
{
  uv_tcp_t tcp; // first member: a uv_handle_t* to it is a connection*
  char buf[4096];
};

// A queued remainder, freed when libuv reports the write done.
struct pending_write
{
  uv_write_t req;
  char data[1];
};

void on_closed(uv_handle_t* h) { delete reinterpret_cast<connection*>(h); }

void close_connection(uv_stream_t* s)
{
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(s)))
    uv_close(reinterpret_cast<uv_handle_t*>(s), on_closed);
}

void on_written(uv_write_t* req, int status)
{
  uv_stream_t* s = req->handle;
  std::free(req);
  if (status < 0)
    close_connection(s);
}

void lend_buffer(uv_handle_t* h, std::size_t, uv_buf_t* out)
{
  connection* c = reinterpret_cast<connection*>(h);
  *out = uv_buf_init(c->buf, sizeof c->buf);
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf)
{
  if (nread < 0)
  {
    close_connection(s);
    return;
  }
  std::size_t n = static_cast<std::size_t>(nread);
  uv_buf_t whole = uv_buf_init(buf->base, static_cast<unsigned>(n));
  // uv_try_write refuses (UV_EAGAIN) while earlier writes are queued, so order is kept.
  int done = n == 0 ? 0 : uv_try_write(s, &whole, 1);
  if (done == UV_EAGAIN)
    done = 0;
  if (done < 0)
  {
    close_connection(s);
    return;
  }
  std::size_t left = n - static_cast<std::size_t>(done);
  if (left == 0)
    return;
  auto* w = static_cast<pending_write*>(std::malloc(sizeof(pending_write) + left));
  if (!w)
  {
    close_connection(s);
    return;
  }
  std::memcpy(w->data, buf->base + done, left);
  uv_buf_t rest = uv_buf_init(w->data, static_cast<unsigned>(left));
  if (uv_write(&w->req, s, &rest, 1, on_written) < 0)
  {
    std::free(w);
    close_connection(s);
  }
}

void on_connection(uv_stream_t* listener, int status)
{
  if (status < 0)
    return;
  auto* c = new connection;
  uv_tcp_init(listener->loop, &c->tcp);
  auto* s = reinterpret_cast<uv_stream_t*>(&c->tcp);
  if (uv_accept(listener, s) != 0)
  {
    close_connection(s);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (uv_read_start(s, lend_buffer, on_read) != 0)
    close_connection(s);
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::cerr << "usage: uv_echo_server PORT\n";
    return 2;
  }
  // libuv writes with write(2); a peer that resets mid-echo must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t listener;
  uv_tcp_init(loop, &listener);
  sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", std::atoi(argv[1]), &addr);
  int rc = uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 4096, on_connection);
  if (rc != 0)
  {
    std::cerr << "uv_echo_server: " << uv_strerror(rc) << "\n";
    return 1;
  }
  std::cout << "uv echo server listening on 127.0.0.1:" << argv[1] << " libuv "
            << uv_version_string() << std::endl;
  return uv_run(loop, UV_RUN_DEFAULT);
}
