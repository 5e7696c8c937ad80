// ip::basic_resolver_results: what resolve() returns, a range of basic_resolver_entry
// (begin/end/size/empty) usable wherever an endpoint sequence is expected, e.g.
// connect(socket, resolver.resolve(host, service)).
//
// It is also an iterator positioned at the first entry, as in Asio, so pre-1.66 code
// that stored the result in a resolver::iterator keeps compiling.
#ifndef BLITZ_IP_BASIC_RESOLVER_RESULTS_HPP
#define BLITZ_IP_BASIC_RESOLVER_RESULTS_HPP

#include <blitz/ip/basic_resolver_iterator.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace blitz {
namespace ip {

template <class InternetProtocol>
class basic_resolver_results : public basic_resolver_iterator<InternetProtocol>
{
  using iterator_base = basic_resolver_iterator<InternetProtocol>;
  using typename iterator_base::values_type;

public:
  using protocol_type = InternetProtocol;
  using endpoint_type = typename protocol_type::endpoint;
  using value_type = basic_resolver_entry<protocol_type>;
  using const_reference = const value_type&;
  using reference = value_type&;
  using const_iterator = basic_resolver_iterator<protocol_type>;
  using iterator = const_iterator;
  using difference_type = std::ptrdiff_t;
  using size_type = std::size_t;

  // Empty.
  basic_resolver_results() = default;

  // A results object holding the given entries (none: empty).
  static basic_resolver_results create(std::vector<value_type>&& entries)
  {
    basic_resolver_results r;
    if (!entries.empty())
      r.values_ = std::make_shared<const values_type>(std::move(entries));
    return r;
  }
  static basic_resolver_results create(const endpoint_type& ep, const std::string& host,
                                       const std::string& service)
  {
    std::vector<value_type> v;
    v.emplace_back(ep, host, service);
    return create(std::move(v));
  }

  size_type size() const noexcept { return this->values_ ? this->values_->size() : 0; }
  size_type max_size() const noexcept { return std::numeric_limits<size_type>::max() / sizeof(value_type); }
  bool empty() const noexcept { return size() == 0; }

  const_iterator begin() const
  {
    basic_resolver_results first(*this);
    first.index_ = 0;
    return first; // sliced to the iterator it is
  }
  const_iterator end() const { return const_iterator(); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  void swap(basic_resolver_results& that) noexcept
  {
    this->values_.swap(that.values_);
    std::swap(this->index_, that.index_);
  }

  friend bool operator==(const basic_resolver_results& a, const basic_resolver_results& b) noexcept
  {
    return a.values_ == b.values_;
  }
  friend bool operator!=(const basic_resolver_results& a, const basic_resolver_results& b) noexcept
  {
    return !(a == b);
  }
};

} // namespace ip
} // namespace blitz

#endif
