// An asynchronous resolve carrying the user's handler: handler(error_code, results_type).
// The entries arrive in protocol-neutral form from the pool thread and become typed
// results here, on the thread that runs the handler.
#ifndef BLITZ_DETAIL_RESOLVE_OP_HPP
#define BLITZ_DETAIL_RESOLVE_OP_HPP

#include <blitz/detail/handler_op.hpp>
#include <blitz/detail/resolver_impl.hpp>

#include <cstring>
#include <utility>
#include <vector>

namespace blitz {
namespace detail {

// Typed results (basic_resolver_results<Protocol>) from neutral entries.
template <class Results>
Results to_resolver_results(const resolved_entries& entries)
{
  using entry_type = typename Results::value_type;
  using endpoint_type = typename Results::endpoint_type;
  std::vector<entry_type> typed;
  typed.reserve(entries.size());
  for (const resolved_entry& e : entries)
  {
    // Byte for byte, so IPv6 flow information and scope survive as getaddrinfo gave them.
    endpoint_type ep;
    std::memcpy(ep.data(), e.endpoint.data(), e.endpoint.size());
    ep.resize(e.endpoint.size());
    typed.emplace_back(ep, e.host_name, e.service_name);
  }
  return Results::create(std::move(typed));
}

template <class Results, class Handler>
class resolve_op final : public resolve_op_base
{
public:
  template <class H>
  explicit resolve_op(H&& h) : resolve_op_base(&resolve_op::do_complete), handler_(std::forward<H>(h))
  {
  }

private:
  static void do_complete(void* owner, op* base)
  {
    resolve_op* self = static_cast<resolve_op*>(base);
    auto alloc = get_associated_allocator(self->handler_);
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec_;
    resolved_entries entries(std::move(self->entries_));
    delete_op_with(self, alloc);
    if (!owner)
      return;
    invoke_handler(handler, ec, ec ? Results() : to_resolver_results<Results>(entries));
  }

  Handler handler_;
};

} // namespace detail
} // namespace blitz

#endif
