// ip::basic_resolver_iterator: a forward iterator over the entries of one resolve result.
// Copies share the entries (reference-counted), so an iterator stays valid after the
// results object it came from is gone. A default-constructed iterator is the end.
#ifndef BLITZ_IP_BASIC_RESOLVER_ITERATOR_HPP
#define BLITZ_IP_BASIC_RESOLVER_ITERATOR_HPP

#include <blitz/ip/basic_resolver_entry.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

namespace blitz {
namespace ip {

template <class InternetProtocol>
class basic_resolver_iterator
{
public:
  using difference_type = std::ptrdiff_t;
  using value_type = basic_resolver_entry<InternetProtocol>;
  using pointer = const value_type*;
  using reference = const value_type&;
  using iterator_category = std::forward_iterator_tag;

  basic_resolver_iterator() noexcept : index_(0) {}

  reference operator*() const { return (*values_)[index_]; }
  pointer operator->() const { return &(*values_)[index_]; }

  basic_resolver_iterator& operator++()
  {
    // Reaching the end drops the entries, so every end iterator compares equal to a
    // default-constructed one.
    if (++index_ == values_->size())
    {
      values_.reset();
      index_ = 0;
    }
    return *this;
  }
  basic_resolver_iterator operator++(int)
  {
    basic_resolver_iterator tmp(*this);
    ++*this;
    return tmp;
  }

  friend bool operator==(const basic_resolver_iterator& a, const basic_resolver_iterator& b) noexcept
  {
    return a.values_ == b.values_ && a.index_ == b.index_;
  }
  friend bool operator!=(const basic_resolver_iterator& a, const basic_resolver_iterator& b) noexcept
  {
    return !(a == b);
  }

protected:
  using values_type = std::vector<value_type>;

  std::shared_ptr<const values_type> values_;
  std::size_t index_;
};

} // namespace ip
} // namespace blitz

#endif
