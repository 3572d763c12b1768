#include "file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace artery::file_connector {

std::string errno_text(int error_number) { return std::error_code(error_number, std::generic_category()).message(); }

ReadResult read_file(const std::string& path, std::uint64_t expected_size, std::uint64_t max_size) {
  ReadResult out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.status = errno == ENOENT ? ReadStatus::missing : ReadStatus::failed;
    out.error = "cannot open " + path + ": " + errno_text(errno);
    return out;
  }
  // One byte more than expected, so reaching the end needs no second read call
  // in the common case (read returns 0 only after a short read).
  std::size_t capacity = static_cast<std::size_t>(std::min<std::uint64_t>(expected_size, max_size)) + 1;
  out.content.resize(capacity);
  std::size_t used = 0;
  while (true) {
    if (used == out.content.size()) {
      if (used > max_size) {
        out.status = ReadStatus::too_large;
        out.error = path + " is larger than max_file_size (" + std::to_string(max_size) + " bytes)";
        break;
      }
      out.content.resize(std::min<std::uint64_t>(used * 2 + 4096, max_size + 1));
    }
    ssize_t n = ::read(fd, out.content.data() + used, out.content.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.status = ReadStatus::failed;
      out.error = "cannot read " + path + ": " + errno_text(errno);
      break;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (out.status == ReadStatus::ok && used > max_size) {
    out.status = ReadStatus::too_large;
    out.error = path + " is larger than max_file_size (" + std::to_string(max_size) + " bytes)";
  }
  out.content.resize(out.status == ReadStatus::ok ? used : 0);
  return out;
}

bool write_all(int fd, std::string_view data, std::string& error) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno_text(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool sync_directory(const std::string& directory, std::string& error) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + directory + " to fsync it: " + errno_text(errno);
    return false;
  }
  bool ok = ::fsync(fd) == 0;
  if (!ok) error = "fsync " + directory + ": " + errno_text(errno);
  ::close(fd);
  return ok;
}

}  // namespace artery::file_connector
