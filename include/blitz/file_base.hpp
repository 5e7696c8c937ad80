// file_base: the open flags and seek bases shared by stream_file and random_access_file.
// The values are the POSIX ones, so a flags value is what open(2) receives.
#ifndef BLITZ_FILE_BASE_HPP
#define BLITZ_FILE_BASE_HPP

#include <fcntl.h>
#include <unistd.h>

namespace blitz {

class file_base
{
public:
  // A bitmask type: combine with |, e.g. `write_only | create | truncate`. A fixed
  // underlying type makes every combination (and ~x) a valid value of the enum.
  enum flags : unsigned
  {
    read_only = O_RDONLY,
    write_only = O_WRONLY,
    read_write = O_RDWR,
    append = O_APPEND,
    create = O_CREAT,
    exclusive = O_EXCL,
    truncate = O_TRUNC,
    sync_all_on_write = O_SYNC
  };

  friend flags operator&(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned>(x) & static_cast<unsigned>(y));
  }
  friend flags operator|(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned>(x) | static_cast<unsigned>(y));
  }
  friend flags operator^(flags x, flags y) noexcept
  {
    return static_cast<flags>(static_cast<unsigned>(x) ^ static_cast<unsigned>(y));
  }
  friend flags operator~(flags x) noexcept
  {
    return static_cast<flags>(~static_cast<unsigned>(x));
  }
  friend flags& operator&=(flags& x, flags y) noexcept { return x = x & y; }
  friend flags& operator|=(flags& x, flags y) noexcept { return x = x | y; }
  friend flags& operator^=(flags& x, flags y) noexcept { return x = x ^ y; }

  enum seek_basis
  {
    seek_set = SEEK_SET,
    seek_cur = SEEK_CUR,
    seek_end = SEEK_END
  };

protected:
  ~file_base() = default;
};

} // namespace blitz

#endif
