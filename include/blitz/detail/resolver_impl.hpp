// The type-erased part of ip::basic_resolver, compiled once in libs/net/resolver.cpp:
// getaddrinfo/getnameinfo with Asio's error mapping, and the hand-off of asynchronous
// resolves to the blocking pool.
//
// An asynchronous resolve is a race between two parties that may each complete the op
// exactly once: the pool thread that finishes the lookup, and cancel() (or the resolver's
// destruction) on the owning thread. A shared resolve_call decides it under its mutex:
// whoever finds the op still attached detaches it and posts it. The loser touches nothing
// but the shared block, so
//  - cancel() reports operation_aborted at once, without waiting for a lookup that may
//    take seconds (getaddrinfo cannot be interrupted);
//  - a lookup that ends after its resolver, and possibly its io_context, are gone never
//    reaches freed memory: resolvers must not outlive their context (Asio's rule), and
//    destroying one aborts its calls first.
#ifndef BLITZ_DETAIL_RESOLVER_IMPL_HPP
#define BLITZ_DETAIL_RESOLVER_IMPL_HPP

#include <blitz/detail/op.hpp>
#include <blitz/ip/detail/endpoint.hpp>

#include <boost/system/error_code.hpp>
#include <memory>
#include <string>
#include <vector>

namespace blitz {
namespace detail {

class scheduler;

// One address found, in protocol-neutral form.
struct resolved_entry
{
  ip::detail::endpoint endpoint;
  std::string host_name;
  std::string service_name;
};
using resolved_entries = std::vector<resolved_entry>;

// Everything a lookup needs, copied so the pool thread owns it outright.
struct resolve_request
{
  bool reverse = false;
  // Forward: getaddrinfo(host, service, hints). An empty string is passed as null, which
  // getaddrinfo reads as "not given".
  std::string host;
  std::string service;
  int flags = 0;
  int family = 0;
  int socktype = 0;
  int protocol = 0;
  // Reverse: getnameinfo(endpoint); socktype picks the datagram or stream service name.
  ip::detail::endpoint endpoint;
};

// getaddrinfo's and getnameinfo's return codes as Asio reports them. saved_errno is what
// errno held right after the call, for EAI_SYSTEM.
boost::system::error_code translate_addrinfo_error(int code, int saved_errno);

// The blocking lookups, for the synchronous calls and the pool threads.
void resolve_blocking(const resolve_request& req, resolved_entries& out,
                      boost::system::error_code& ec);

// The handler-free half of an asynchronous resolve: the result lands here before the op
// is posted.
class resolve_op_base : public result_op
{
public:
  resolved_entries entries_;

protected:
  explicit resolve_op_base(func_type f) noexcept : result_op(f) {}
};

struct resolve_call;

class resolver_impl
{
public:
  explicit resolver_impl(scheduler& s) noexcept : sched_(&s) {}
  // Aborts what is still pending: handlers run with operation_aborted.
  ~resolver_impl();
  resolver_impl(resolver_impl&& other) noexcept;
  resolver_impl& operator=(resolver_impl&& other) noexcept;
  resolver_impl(const resolver_impl&) = delete;
  resolver_impl& operator=(const resolver_impl&) = delete;

  scheduler& sched() const noexcept { return *sched_; }

  // Counts o as work and runs req on the blocking pool; o completes through the scheduler
  // with the result or with operation_aborted, never inside this call.
  void start(resolve_op_base* o, resolve_request req);
  void cancel() noexcept;

private:
  void forget_finished() noexcept;

  scheduler* sched_;
  // Calls started and not yet known to be finished; pruned on each start.
  std::vector<std::shared_ptr<resolve_call>> calls_;
};

} // namespace detail
} // namespace blitz

#endif
