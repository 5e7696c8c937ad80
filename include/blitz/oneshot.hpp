// oneshot<T>: one value, sent once, to whoever waits for it (Tokio's oneshot, callback
// style). send() never waits; a second send fails. close() without a send, or the
// oneshot's destruction, ends a waiting receive with channel_closed / channel_cancelled.
// After the value has been received, further receives get channel_closed.
#ifndef BLITZ_ONESHOT_HPP
#define BLITZ_ONESHOT_HPP

#include <blitz/async_result.hpp>
#include <blitz/channel.hpp>

#include <atomic>
#include <utility>

namespace blitz {

template <class T>
class oneshot
{
public:
  using executor_type = io_context::executor_type;
  using value_type = T;

  explicit oneshot(io_context& ctx) : ch_(ctx, 1) {}
  explicit oneshot(const executor_type& ex) : ch_(ex, 1) {}

  executor_type get_executor() const noexcept { return ch_.get_executor(); }

  // False if a value was already sent or the oneshot is closed (v is then left as it was).
  template <class V>
  bool send(V&& v)
  {
    // Relaxed: the exchange only decides which caller sends; the value itself is handed
    // over under the channel's mutex.
    if (sent_.exchange(true, std::memory_order_relaxed))
      return false;
    bool ok = ch_.try_send(std::forward<V>(v));
    ch_.close(); // the receiver gets the value, then channel_closed
    return ok;
  }

  // No value will come: a waiting receive ends with channel_closed.
  void close()
  {
    sent_.exchange(true, std::memory_order_relaxed);
    ch_.close();
  }

  // handler(error_code, T): the value, or channel_closed.
  template <class Handler>
  auto async_receive(Handler&& handler)
  {
    return ch_.async_receive(std::forward<Handler>(handler));
  }

  bool try_receive(T& out) { return ch_.try_receive(out); }

private:
  channel<T> ch_;
  std::atomic<bool> sent_{false};
};

} // namespace blitz

#endif
