// A provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19): shared memory in which
// the application publishes free buffers and the kernel takes one per receive that names
// the ring's group, when data arrives.
#include "buffer_ring.hpp"

#include <cerrno>
#include <sys/mman.h>

namespace blitz {
namespace detail {
namespace {

class uring_buffer_ring final : public buffer_ring
{
public:
  uring_buffer_ring(io_uring& ring, io_uring_buf_ring* br, unsigned entries, unsigned group)
    : ring_(ring), br_(br), entries_(entries), group_(group)
  {
  }

  ~uring_buffer_ring() override
  {
    io_uring_unregister_buf_ring(&ring_, static_cast<int>(group_));
    ::munmap(br_, entries_ * sizeof(io_uring_buf));
  }

  unsigned group() const noexcept override { return group_; }

  void provide(void* addr, unsigned len, std::int32_t id) noexcept override
  {
    io_uring_buf_ring_add(br_, addr, len, static_cast<unsigned short>(id),
                          io_uring_buf_ring_mask(entries_), 0);
    // Publishes the entry with a release store of the tail, which the kernel reads with
    // acquire before it takes the buffer.
    io_uring_buf_ring_advance(br_, 1);
  }

private:
  io_uring& ring_;
  io_uring_buf_ring* br_;
  unsigned entries_;
  unsigned group_;
};

} // namespace

std::unique_ptr<buffer_ring> make_uring_buffer_ring(io_uring& ring, unsigned entries,
                                                    unsigned group,
                                                    boost::system::error_code& ec)
{
  // The kernel wants the ring page-aligned: mmap gives that, and only pages the ring's
  // entries actually reach become resident.
  std::size_t bytes = entries * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED)
  {
    ec.assign(errno, boost::system::system_category());
    return nullptr;
  }
  io_uring_buf_ring* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
  reg.ring_entries = entries;
  reg.bgid = static_cast<__u16>(group);
  int r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r < 0)
  {
    ::munmap(mem, bytes);
    ec.assign(-r, boost::system::system_category());
    return nullptr;
  }
  ec = boost::system::error_code();
  return std::unique_ptr<buffer_ring>(new uring_buffer_ring(ring, br, entries, group));
}

} // namespace detail
} // namespace blitz
