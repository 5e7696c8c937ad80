// ip::basic_resolver: host and service names to endpoints and back (Asio's basic_resolver),
// as ip::tcp::resolver and ip::udp::resolver.
//
//   tcp::resolver r(ctx);
//   r.async_resolve("example.com", "443", [&](error_code ec, tcp::resolver::results_type rs) {
//     blitz::async_connect(socket, rs, ...);
//   });
//
// Lookups block inside libc (files, DNS), so asynchronous ones run on the process-wide
// blocking pool and complete through the io_context; cancel() and destruction complete
// pending ones at once with operation_aborted.
#ifndef BLITZ_IP_BASIC_RESOLVER_HPP
#define BLITZ_IP_BASIC_RESOLVER_HPP

#include <blitz/async_result.hpp>
#include <blitz/detail/resolve_op.hpp>
#include <blitz/detail/resolver_impl.hpp>
#include <blitz/detail/throw_error.hpp>
#include <blitz/io_context.hpp>
#include <blitz/ip/basic_resolver_entry.hpp>
#include <blitz/ip/basic_resolver_iterator.hpp>
#include <blitz/ip/basic_resolver_query.hpp>
#include <blitz/ip/basic_resolver_results.hpp>
#include <blitz/ip/resolver_base.hpp>

#include <string>
#include <utility>

#include <netdb.h>
#include <sys/socket.h>

namespace blitz {
namespace ip {

template <class InternetProtocol, class Executor = io_context::executor_type>
class basic_resolver : public resolver_base
{
public:
  using executor_type = Executor;
  using protocol_type = InternetProtocol;
  using endpoint_type = typename InternetProtocol::endpoint;
  using query = basic_resolver_query<InternetProtocol>;
  using iterator = basic_resolver_iterator<InternetProtocol>;
  using results_type = basic_resolver_results<InternetProtocol>;

  explicit basic_resolver(io_context& ctx) : ex_(ctx.get_executor()), impl_(ctx.impl()) {}
  explicit basic_resolver(const executor_type& ex) : ex_(ex), impl_(ex.context().impl()) {}
  basic_resolver(basic_resolver&&) noexcept = default;
  basic_resolver& operator=(basic_resolver&&) noexcept = default;
  // Pending resolves complete with operation_aborted.
  ~basic_resolver() = default;

  executor_type get_executor() const noexcept { return ex_; }

  // Every pending asynchronous resolve completes with operation_aborted (the lookup
  // itself may still finish in the background; its result is dropped).
  void cancel() { impl_.cancel(); }

  // Forward resolution. Throwing and error_code forms; host or service may be empty
  // (not both).
  results_type resolve(const std::string& host, const std::string& service)
  {
    return resolve(host, service, flags());
  }
  results_type resolve(const std::string& host, const std::string& service,
                       boost::system::error_code& ec)
  {
    return resolve(host, service, flags(), ec);
  }
  results_type resolve(const std::string& host, const std::string& service, flags f)
  {
    boost::system::error_code ec;
    results_type r = resolve(host, service, f, ec);
    blitz::detail::throw_error(ec, "resolve");
    return r;
  }
  results_type resolve(const std::string& host, const std::string& service, flags f,
                       boost::system::error_code& ec)
  {
    return run(forward(AF_UNSPEC, host, service, f), ec);
  }

  // Forward resolution restricted to one family: tcp::v4() or tcp::v6().
  results_type resolve(const protocol_type& p, const std::string& host,
                       const std::string& service)
  {
    return resolve(p, host, service, flags());
  }
  results_type resolve(const protocol_type& p, const std::string& host,
                       const std::string& service, boost::system::error_code& ec)
  {
    return resolve(p, host, service, flags(), ec);
  }
  results_type resolve(const protocol_type& p, const std::string& host,
                       const std::string& service, flags f)
  {
    boost::system::error_code ec;
    results_type r = resolve(p, host, service, f, ec);
    blitz::detail::throw_error(ec, "resolve");
    return r;
  }
  results_type resolve(const protocol_type& p, const std::string& host,
                       const std::string& service, flags f, boost::system::error_code& ec)
  {
    return run(forward(p.family(), host, service, f), ec);
  }

  // The pre-1.66 query form.
  results_type resolve(const query& q)
  {
    boost::system::error_code ec;
    results_type r = resolve(q, ec);
    blitz::detail::throw_error(ec, "resolve");
    return r;
  }
  results_type resolve(const query& q, boost::system::error_code& ec)
  {
    return run(from_query(q), ec);
  }

  // Reverse resolution: one entry with ep and the host and service names found for it
  // (numeric where no name exists).
  results_type resolve(const endpoint_type& ep)
  {
    boost::system::error_code ec;
    results_type r = resolve(ep, ec);
    blitz::detail::throw_error(ec, "resolve");
    return r;
  }
  results_type resolve(const endpoint_type& ep, boost::system::error_code& ec)
  {
    return run(reverse(ep), ec);
  }

  // handler(error_code, results_type); never invoked inside the call.
  template <class ResolveHandler>
  auto async_resolve(const std::string& host, const std::string& service,
                     ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, forward(AF_UNSPEC, host, service, flags()));
  }
  template <class ResolveHandler>
  auto async_resolve(const std::string& host, const std::string& service, flags f,
                     ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, forward(AF_UNSPEC, host, service, f));
  }
  template <class ResolveHandler>
  auto async_resolve(const protocol_type& p, const std::string& host,
                     const std::string& service, ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, forward(p.family(), host, service, flags()));
  }
  template <class ResolveHandler>
  auto async_resolve(const protocol_type& p, const std::string& host,
                     const std::string& service, flags f, ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, forward(p.family(), host, service, f));
  }
  template <class ResolveHandler>
  auto async_resolve(const query& q, ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, from_query(q));
  }
  template <class ResolveHandler>
  auto async_resolve(const endpoint_type& ep, ResolveHandler&& handler)
  {
    return async_initiate<ResolveHandler, void(boost::system::error_code, results_type)>(
        initiate_resolve{this}, handler, reverse(ep));
  }

private:
  using op_base = blitz::detail::resolve_op_base;

  // The request is built when the operation is initiated; a deferred resolve keeps it.
  struct initiate_resolve
  {
    basic_resolver* self;
    template <class Handler>
    void operator()(Handler&& handler, blitz::detail::resolve_request req) const
    {
      self->start(std::move(req), std::forward<Handler>(handler));
    }
  };

  static blitz::detail::resolve_request forward(int family, const std::string& host,
                                                const std::string& service, flags f)
  {
    blitz::detail::resolve_request req;
    req.host = host;
    req.service = service;
    req.flags = static_cast<int>(f);
    req.family = family;
    // Both families of a protocol share its socket type and protocol number.
    req.socktype = protocol_type::v4().type();
    req.protocol = protocol_type::v4().protocol();
    return req;
  }
  static blitz::detail::resolve_request from_query(const query& q)
  {
    blitz::detail::resolve_request req;
    req.host = q.host_name();
    req.service = q.service_name();
    req.flags = q.hints().ai_flags;
    req.family = q.hints().ai_family;
    req.socktype = q.hints().ai_socktype;
    req.protocol = q.hints().ai_protocol;
    return req;
  }
  static blitz::detail::resolve_request reverse(const endpoint_type& ep)
  {
    blitz::detail::resolve_request req;
    req.reverse = true;
    req.socktype = protocol_type::v4().type();
    req.endpoint = ip::detail::endpoint(ep.address(), ep.port());
    return req;
  }

  static results_type run(const blitz::detail::resolve_request& req,
                          boost::system::error_code& ec)
  {
    blitz::detail::resolved_entries entries;
    blitz::detail::resolve_blocking(req, entries, ec);
    if (ec)
      return results_type();
    return blitz::detail::to_resolver_results<results_type>(entries);
  }

  template <class Handler>
  void start(blitz::detail::resolve_request req, Handler&& handler)
  {
    using op_t = blitz::detail::resolve_op<results_type, blitz::detail::decay_handler_t<Handler>>;
    op_t* o = blitz::detail::new_handler_op<op_t>(std::forward<Handler>(handler));
    impl_.start(o, std::move(req));
  }

  executor_type ex_;
  blitz::detail::resolver_impl impl_;
};

} // namespace ip
} // namespace blitz

#endif
