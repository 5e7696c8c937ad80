// One submission, many completions: multishot accept and multishot receive.
//
// The backend holds the io_op part for as long as the operation stays armed (in the kernel
// on io_uring, parked on its descriptor on epoll) and hands each result to deliver().
// Results queue inside the op. The op's drain_ is a second op with its own queue hook (the
// io_op's hook may sit in a backend queue at the same time) and goes to the scheduler at
// most once at a time; when it runs it invokes the handler for every queued result, in
// order. So the handler never runs concurrently with itself, even with several threads in
// run(), and a stream's chunks reach it in the kernel's order.
//
// Lifetime: two owners, the backend (in_backend_) and a scheduled drain (scheduled_); the op
// is freed by whichever lets go last. The backend's last act is always a final result (an
// error, eof, operation_aborted), so the handler's last call says the operation ended;
// only at context destruction does the backend let go without one (abandon).
//
// Work counting: the unit counted when the op started stands for the armed operation; each
// drain scheduled for non-final results counts one more, and the final result consumes the
// armed unit.
#ifndef BLITZ_DETAIL_MULTISHOT_OP_HPP
#define BLITZ_DETAIL_MULTISHOT_OP_HPP

#include <blitz/detail/io_op.hpp>
#include <blitz/detail/op_queue.hpp>

#include <cstdint>
#include <mutex>
#include <vector>

namespace blitz {
namespace detail {

class scheduler;

class multishot_op : public io_op
{
public:
  struct result
  {
    int res;               // accepted descriptor or byte count, or -errno
    std::int32_t buffer;   // provided-buffer id, -1 for none
    bool final;
  };

  // Backend: queues one result and schedules the drain if it is not already scheduled.
  // After a final result the backend must not touch the op again.
  void deliver(int res, std::int32_t buffer, bool final, op_queue& ready) noexcept;

  scheduler* sched_ = nullptr;

protected:
  // Runs the handler for one result (may throw: the exception leaves run() and the
  // remaining results are delivered by the next run()).
  using invoke_fn = void (*)(multishot_op*, const result&);
  // With a result: releases what an undelivered result holds (closes the descriptor,
  // returns the buffer). With nullptr: destroys the op and frees its memory.
  using release_fn = void (*)(multishot_op*, const result*);

  multishot_op(io_kind k, invoke_fn inv, release_fn rel);
  ~multishot_op() = default;

private:
  struct drain_op : op
  {
    explicit drain_op(multishot_op* o) noexcept : op(&drain_op::do_complete), owner(o) {}
    static void do_complete(void* owner, op* base);
    multishot_op* owner;
  };

  // The io_op's own completion function. Backends route results through deliver(), so it is
  // only ever called to destroy: the backend lets go without a final result.
  static void abandon(void* owner, op* base);
  void drain();
  void drop_queued() noexcept;

  drain_op drain_;
  invoke_fn invoke_;
  release_fn release_;
  // Guards the fields below; never held while the handler runs or while calling into the
  // scheduler or backend. Innermost: taken under backend locks (deliver), never the reverse.
  std::mutex mutex_;
  std::vector<result> pending_;
  std::vector<result> running_; // the batch being delivered; touched by the drain only
  bool in_backend_ = true;
  bool scheduled_ = false;
};

// Backends: an op finished for good with res (-ECANCELED when aborted, or the result already
// recorded by perform()). Single-shot ops are queued as they are; a multishot op gets a
// final delivery and its drain is queued instead.
void finish_op(io_op* o, op_queue& ready) noexcept;

} // namespace detail
} // namespace blitz

#endif
