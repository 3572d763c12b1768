#include "support/small_volume.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace artery::testing {

SmallVolume::SmallVolume(std::uint64_t bytes) : dir_("artery-volume") {
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
    mounted_ = true;
  } else {
    error_ = "cannot mount a tmpfs on " + dir_.path().string() + ": " + std::strerror(errno);
  }
}

SmallVolume::~SmallVolume() {
  // Lazy: a process the test started may still hold a file open.
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

std::uint64_t SmallVolume::free_bytes() const {
  struct statvfs s {};
  if (::statvfs(dir_.path().c_str(), &s) != 0) return 0;
  return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
}

std::uint64_t SmallVolume::fill(const std::string& name) const {
  int fd = ::open((dir_.path() / name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  std::vector<char> block(64 * 1024, 'f');
  std::uint64_t written = 0;
  for (std::size_t size = block.size(); size > 0;) {
    ssize_t n = ::write(fd, block.data(), size);
    if (n > 0) {
      written += static_cast<std::uint64_t>(n);
    } else if (n < 0 && errno != EINTR) {
      size /= 2;  // the last blocks: fill up to the last page
    }
  }
  ::close(fd);
  return written;
}

}  // namespace artery::testing
