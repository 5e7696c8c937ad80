// Name resolution: getaddrinfo/getnameinfo, and asynchronous resolves on the blocking pool.
// See resolver_impl.hpp for how a finishing lookup and cancel() decide who completes an op.
#include <blitz/detail/blocking_pool.hpp>
#include <blitz/detail/resolver_impl.hpp>
#include <blitz/detail/scheduler.hpp>
#include <blitz/error.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>

#include <netdb.h>
#include <sys/socket.h>

namespace blitz {
namespace detail {

boost::system::error_code translate_addrinfo_error(int code, int saved_errno)
{
  switch (code)
  {
  case 0:
    return boost::system::error_code();
  case EAI_AGAIN:
    return error::host_not_found_try_again;
  case EAI_BADFLAGS:
    return error::invalid_argument;
  case EAI_FAIL:
    return error::no_recovery;
  case EAI_FAMILY:
    return error::address_family_not_supported;
  case EAI_MEMORY:
    return error::no_memory;
  case EAI_NONAME:
#if defined(EAI_ADDRFAMILY)
  case EAI_ADDRFAMILY: // the host has no address of the requested family
#endif
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
  case EAI_NODATA: // the host exists but has no address at all
#endif
    return error::host_not_found;
  case EAI_SERVICE:
    return error::service_not_found;
  case EAI_SOCKTYPE:
    return error::socket_type_not_supported;
  default:
    // EAI_SYSTEM, or a code this libc added later: errno says what happened. A zero
    // errno would turn the failure into success, so fall back to a generic error.
    return boost::system::error_code(saved_errno != 0 ? saved_errno : EIO,
                                     boost::system::system_category());
  }
}

namespace {

struct addrinfo_list
{
  ::addrinfo* head = nullptr;
  ~addrinfo_list()
  {
    if (head)
      ::freeaddrinfo(head);
  }
};

void resolve_forward(const resolve_request& req, resolved_entries& out,
                     boost::system::error_code& ec)
{
  ::addrinfo hints{};
  hints.ai_flags = req.flags;
  hints.ai_family = req.family;
  hints.ai_socktype = req.socktype;
  hints.ai_protocol = req.protocol;
  addrinfo_list list;
  errno = 0;
  int r = ::getaddrinfo(req.host.empty() ? nullptr : req.host.c_str(),
                        req.service.empty() ? nullptr : req.service.c_str(), &hints, &list.head);
  int saved_errno = errno;
  ec = translate_addrinfo_error(r, saved_errno);
  if (ec)
    return;
  // canonical_name: the first entry carries the canonical name; every entry reports it.
  std::string host_name = req.host;
  if (list.head && list.head->ai_canonname)
    host_name = list.head->ai_canonname;
  for (const ::addrinfo* ai = list.head; ai; ai = ai->ai_next)
  {
    // Other families cannot be represented by an ip endpoint; Asio skips them too.
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    resolved_entry e;
    if (static_cast<std::size_t>(ai->ai_addrlen) > e.endpoint.capacity())
      continue;
    std::memcpy(e.endpoint.data(), ai->ai_addr, ai->ai_addrlen);
    e.host_name = host_name;
    e.service_name = req.service;
    out.push_back(std::move(e));
  }
}

void resolve_reverse(const resolve_request& req, resolved_entries& out,
                     boost::system::error_code& ec)
{
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  const int flags = req.socktype == SOCK_DGRAM ? NI_DGRAM : 0;
  const ::socklen_t len = static_cast<::socklen_t>(req.endpoint.size());
  errno = 0;
  int r = ::getnameinfo(req.endpoint.data(), len, host, sizeof(host), service, sizeof(service),
                        flags);
  if (r != 0)
  {
    // A port with no /etc/services entry is not an error: report it as a number.
    errno = 0;
    r = ::getnameinfo(req.endpoint.data(), len, host, sizeof(host), service, sizeof(service),
                      flags | NI_NUMERICSERV);
  }
  int saved_errno = errno;
  ec = translate_addrinfo_error(r, saved_errno);
  if (ec)
    return;
  resolved_entry e;
  e.endpoint = req.endpoint;
  e.host_name = host;
  e.service_name = service;
  out.push_back(std::move(e));
}

} // namespace

void resolve_blocking(const resolve_request& req, resolved_entries& out,
                      boost::system::error_code& ec)
{
  out.clear();
  if (req.reverse)
    resolve_reverse(req, out, ec);
  else
    resolve_forward(req, out, ec);
}

// Shared by the resolver (to cancel), the pool task (to deliver) and nobody else.
struct resolve_call
{
  std::mutex mutex;
  // The op, until one party completes it; then null. Guarded by mutex.
  resolve_op_base* op = nullptr;
  scheduler* sched = nullptr;
  // Written before the task is submitted and only read afterwards: the pool's queue
  // hand-off orders the write before the worker's reads.
  resolve_request req;
};

namespace {

// Completes the call's op with ec if nobody has yet. The scheduler is alive here: the op
// is still attached, so its resolver has not been destroyed, and the resolver's
// destructor (which must run before its context's) cannot finish aborting this call
// until the mutex is released.
void finish(resolve_call& call, const boost::system::error_code& ec, resolved_entries* entries)
{
  std::lock_guard<std::mutex> lock(call.mutex);
  if (!call.op)
    return;
  call.op->ec_ = ec;
  if (entries)
    call.op->entries_ = std::move(*entries);
  call.sched->post_completion(call.op);
  call.op = nullptr;
}

void run_call(resolve_call& call)
{
  resolved_entries entries;
  boost::system::error_code ec;
  try
  {
    resolve_blocking(call.req, entries, ec);
  }
  catch (const std::bad_alloc&)
  {
    entries.clear();
    ec = error::no_memory;
  }
  finish(call, ec, &entries);
}

} // namespace

resolver_impl::~resolver_impl() { cancel(); }

resolver_impl::resolver_impl(resolver_impl&& other) noexcept
  : sched_(other.sched_), calls_(std::move(other.calls_))
{
  other.calls_.clear();
}

resolver_impl& resolver_impl::operator=(resolver_impl&& other) noexcept
{
  if (this != &other)
  {
    cancel();
    sched_ = other.sched_;
    calls_ = std::move(other.calls_);
    other.calls_.clear();
  }
  return *this;
}

void resolver_impl::forget_finished() noexcept
{
  std::size_t kept = 0;
  for (std::size_t i = 0; i < calls_.size(); ++i)
  {
    bool pending;
    {
      std::lock_guard<std::mutex> lock(calls_[i]->mutex);
      pending = calls_[i]->op != nullptr;
    }
    if (pending)
      calls_[kept++] = std::move(calls_[i]);
  }
  calls_.resize(kept);
}

void resolver_impl::start(resolve_op_base* o, resolve_request req)
{
  sched_->work_started();
  std::shared_ptr<resolve_call> call;
  try
  {
    forget_finished();
    call = std::make_shared<resolve_call>();
    call->op = o;
    call->sched = sched_;
    call->req = std::move(req);
    calls_.push_back(call);
  }
  catch (const std::bad_alloc&)
  {
    o->ec_ = error::no_memory;
    sched_->post_completion(o);
    return;
  }
  try
  {
    blocking_pool::global().submit([call] { run_call(*call); });
  }
  catch (const std::exception&)
  {
    // No thread could be started (or the task not queued): the lookup never runs.
    finish(*call, error::no_memory, nullptr);
  }
}

void resolver_impl::cancel() noexcept
{
  for (auto& call : calls_)
    finish(*call, error::operation_aborted, nullptr);
  calls_.clear();
}

} // namespace detail
} // namespace blitz
