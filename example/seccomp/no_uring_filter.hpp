// Installs a seccomp filter that makes io_uring_setup fail with EPERM, as container
// runtimes' default profiles and locked-down hosts do. Used by the no_uring launcher and by
// the fallback test: blitz-io must then run on epoll with no configuration. The test also
// refuses other calls the same way (refuse_syscall).
#ifndef BLITZ_EXAMPLE_NO_URING_FILTER_HPP
#define BLITZ_EXAMPLE_NO_URING_FILTER_HPP

#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

namespace blitz_example {

#if defined(__x86_64__)
constexpr unsigned this_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned this_audit_arch = AUDIT_ARCH_AARCH64;
#else
#error "add the AUDIT_ARCH value for this architecture"
#endif

// Makes the system call numbered nr fail with err in the calling thread and its future
// children; call it before starting threads. Returns 0 on success, else errno.
inline int refuse_syscall(unsigned nr, int err)
{
  sock_filter filter[] = {
      // Another architecture's syscall numbers mean something else: let them through.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, this_audit_arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K,
               SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  // Required to install a filter without CAP_SYS_ADMIN, and harmless with it.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
    return errno;
  return 0;
}

// io_uring_setup fails with EPERM, as under Docker's default profile.
inline int block_io_uring() { return refuse_syscall(__NR_io_uring_setup, EPERM); }

} // namespace blitz_example

#endif
