#include <blitz/detail/buffer_pool_impl.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/detail/throw_error.hpp>

#include <cstdlib>
#include <new>
#include <stdexcept>

namespace blitz {
namespace detail {

namespace {

unsigned log2_ceil(unsigned v)
{
  unsigned s = 0;
  while ((1u << s) < v)
    ++s;
  return s;
}

} // namespace

buffer_pool_impl* buffer_pool_impl::create(scheduler& s, std::size_t buffer_size,
                                           unsigned initial, unsigned limit)
{
  // The kernel's buffer length is 32 bits; ids are 16 bits and a ring holds at most 32,768.
  if (buffer_size == 0 || buffer_size > 0x7ffff000u)
    throw std::invalid_argument("blitz::buffer_pool: buffer size must be 1 byte .. 2 GiB");
  if (limit == 0 || limit > max_buffers || initial > limit)
    throw std::invalid_argument("blitz::buffer_pool: need initial <= limit <= 32768, limit > 0");
  // Chunks of at least 16 buffers, at most the initial count rounded up: growth adds a chunk
  // at a time, so a pool that starts small also grows in small steps.
  unsigned chunk_shift = log2_ceil(initial < 16 ? 16 : initial);
  std::unique_ptr<buffer_pool_impl, void (*)(buffer_pool_impl*)> p(
      new buffer_pool_impl(s, buffer_size, chunk_shift, limit),
      [](buffer_pool_impl* x) { x->release(); });
  boost::system::error_code ec;
  p->ring_ = s.io().make_buffer_ring(1u << log2_ceil(limit), ec);
  throw_error(ec, "buffer_pool");
  // Without a ring free ids wait in free_, which never holds more than the limit: reserved
  // once, so give_back neither allocates nor fails.
  if (!p->ring_)
    p->free_.reserve(limit);
  std::lock_guard<std::mutex> lock(p->mutex_);
  if (initial > 0 && !p->grow_locked(initial))
    throw std::bad_alloc();
  return p.release();
}

buffer_pool_impl::buffer_pool_impl(scheduler& s, std::size_t size, unsigned chunk_shift,
                                   unsigned limit)
  : sched_(s), size_(size), chunk_shift_(chunk_shift), limit_(limit),
    chunks_(new std::atomic<char*>[((limit - 1) >> chunk_shift) + 1])
{
  for (unsigned i = 0; i <= ((limit - 1) >> chunk_shift); ++i)
    chunks_[i].store(nullptr, std::memory_order_relaxed);
}

buffer_pool_impl::~buffer_pool_impl()
{
  ring_.reset();
  for (unsigned i = 0; i <= ((limit_ - 1) >> chunk_shift_); ++i)
    std::free(chunks_[i].load(std::memory_order_relaxed));
}

void buffer_pool_impl::close() noexcept
{
  std::unique_ptr<buffer_ring> ring;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    ring.swap(ring_);
  }
  // Unregistered outside mutex_: the backend takes its own locks.
  ring.reset();
  // Receives parked for a buffer must now end (with operation_aborted).
  sched_.io().buffers_returned();
}

bool buffer_pool_impl::closed() const noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

unsigned buffer_pool_impl::capacity() const noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  return capacity_;
}

unsigned buffer_pool_impl::available() const noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_ ? 1u : available_; // closed: parked receives must wake and end
}

// Adds `want` buffers (fewer at the limit; a chunk's worth when want is 0).
bool buffer_pool_impl::grow_locked(unsigned want) noexcept
{
  const unsigned chunk = 1u << chunk_shift_;
  if (want == 0)
    want = chunk;
  if (capacity_ >= limit_)
    return false;
  if (want > limit_ - capacity_)
    want = limit_ - capacity_;
  for (unsigned added = 0; added < want; ++added)
  {
    unsigned index = capacity_ >> chunk_shift_;
    if ((capacity_ & (chunk - 1)) == 0)
    {
      // Large chunks come from mmap inside malloc, so pages no receive has touched cost
      // no memory: an idle pool is nearly free however large it is.
      char* mem = static_cast<char*>(std::malloc(chunk * size_));
      if (!mem)
        return added > 0;
      // Release: a thread that maps an id of this chunk to an address (address()) must
      // see the pointer only after the chunk exists.
      chunks_[index].store(mem, std::memory_order_release);
    }
    provide_locked(static_cast<std::int32_t>(capacity_));
    ++capacity_;
  }
  return true;
}

void buffer_pool_impl::provide_locked(std::int32_t id) noexcept
{
  ++available_;
  if (ring_)
    ring_->provide(address(id), static_cast<unsigned>(size_), id);
  else
    free_.push_back(id); // reserved to the limit by create()
}

bool buffer_pool_impl::grow() noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_)
    return false;
  if (available_ > 0)
    return true; // another receive's growth (or a returned buffer) got there first
  return grow_locked(0);
}

bool buffer_pool_impl::take(std::int32_t& id) noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || (free_.empty() && !grow_locked(0)))
    return false;
  id = free_.back();
  free_.pop_back();
  --available_;
  return true;
}

void buffer_pool_impl::give_back(std::int32_t id) noexcept
{
  bool closed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed = closed_;
    if (ring_)
    {
      ++available_;
      ring_->provide(address(id), static_cast<unsigned>(size_), id);
    }
    else if (!closed_) // once closed nothing takes buffers any more
    {
      ++available_;
      free_.push_back(id); // capacity reserved by create()
    }
  }
  // Relaxed is enough: a receive that parked raised the count before its last check of
  // available(), which takes mutex_; so either that check saw this buffer, or this load
  // comes after the raise (through mutex_) and sees it. A closed pool has ended its parked
  // receives already (close), and a buffer may come back after the context is gone.
  if (!closed && starving_.load(std::memory_order_relaxed) > 0)
    sched_.io().buffers_returned();
}

void buffer_pool_impl::consumed() noexcept
{
  std::lock_guard<std::mutex> lock(mutex_);
  if (available_ > 0)
    --available_;
}

} // namespace detail
} // namespace blitz
