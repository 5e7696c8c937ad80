// FIFO of ops linked through their own hook: pushing and popping never allocate.
#ifndef BLITZ_DETAIL_OP_QUEUE_HPP
#define BLITZ_DETAIL_OP_QUEUE_HPP

#include <blitz/detail/op.hpp>
#include <boost/intrusive/slist.hpp>

namespace blitz {
namespace detail {

class op_queue
{
  using list_type = boost::intrusive::slist<op,
      boost::intrusive::cache_last<true>,
      boost::intrusive::constant_time_size<false>>;

public:
  op_queue() = default;
  op_queue(const op_queue&) = delete;
  op_queue& operator=(const op_queue&) = delete;
  op_queue(op_queue&& other) noexcept { list_.swap(other.list_); }

  // Ops still queued when the queue dies were never completed: destroy them so their
  // handlers (and whatever the handlers own) are released rather than leaked.
  ~op_queue() { destroy_all(); }

  bool empty() const noexcept { return list_.empty(); }
  op* front() noexcept { return &list_.front(); }
  void push(op* o) noexcept { list_.push_back(*o); }
  void push_front(op* o) noexcept { list_.push_front(*o); }
  op* pop() noexcept
  {
    op* o = &list_.front();
    list_.pop_front();
    return o;
  }
  // Appends all of other's ops, leaving other empty.
  void push(op_queue& other) noexcept { list_.splice_after(list_.last(), other.list_); }
  void swap(op_queue& other) noexcept { list_.swap(other.list_); }

  // An op's hook is unused while the op is in no op_queue (inject_stack keeps it there
  // meanwhile): these store and read a pointer to another op in it.
  static void set_spare_link(op* o, op* to) noexcept
  {
    list_type::node_traits::set_next(list_type::value_traits::to_node_ptr(*o),
                                     to ? list_type::value_traits::to_node_ptr(*to)
                                        : list_type::node_traits::node_ptr());
  }
  static const void* spare_link(op* o) noexcept
  {
    return list_type::node_traits::get_next(list_type::value_traits::to_node_ptr(*o));
  }

  // Unlinks o if it is queued here; walks the queue (meant for short ones).
  bool erase(op* o) noexcept
  {
    for (auto prev = list_.before_begin(), it = list_.begin(); it != list_.end(); prev = it++)
      if (&*it == o)
      {
        list_.erase_after(prev);
        return true;
      }
    return false;
  }

  void destroy_all() noexcept
  {
    while (!list_.empty())
      pop()->destroy();
  }

private:
  list_type list_;
};

} // namespace detail
} // namespace blitz

#endif
