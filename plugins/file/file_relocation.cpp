#include "file_relocation.hpp"

#include "file_io.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace artery::file_connector {
namespace {

namespace fs = std::filesystem;

fs::path candidate(const fs::path& target, int attempt) {
  if (attempt == 0) return target;
  fs::path name = target.filename();
  std::string stem = name.stem().string();
  std::string ext = name.extension().string();
  if (stem.empty()) stem.swap(ext);  // ".hidden": no extension to keep
  return target.parent_path() / (stem + "-" + std::to_string(attempt) + ext);
}

// 0 on success, else errno. EEXIST means the name is taken.
int rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  int err = errno;
  if (err != EINVAL && err != ENOSYS) return err;
  // File systems without RENAME_NOREPLACE: link() also refuses an existing name.
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

// Across file systems: copy to a hidden temporary next to the target, sync it,
// claim the name without replacing, then remove the original.
int copy_no_replace(const fs::path& from, const fs::path& to) {
  fs::path temp = to.parent_path() / (".artery-move-" + std::to_string(::getpid()) + ".tmp");
  std::error_code ec;
  fs::copy_file(from, temp, fs::copy_options::overwrite_existing, ec);
  if (ec) return ec.value();
  int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  int err = rename_no_replace(temp, to);
  if (err != 0) {
    ::unlink(temp.c_str());
    return err;
  }
  ::unlink(from.c_str());
  return 0;
}

}  // namespace

std::optional<fs::path> relocate_file(const fs::path& from, const fs::path& to_directory, const std::string& relative,
                                      std::string& error) {
  fs::path target = to_directory / relative;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    error = "cannot create " + target.parent_path().string() + ": " + ec.message();
    return std::nullopt;
  }
  for (int attempt = 0; attempt < 100000; ++attempt) {
    fs::path to = candidate(target, attempt);
    int err = rename_no_replace(from, to);
    if (err == EXDEV) err = copy_no_replace(from, to);
    if (err == 0) return to;
    if (err != EEXIST) {
      error = "cannot move " + from.string() + " to " + to.string() + ": " + errno_text(err);
      return std::nullopt;
    }
  }
  error = "cannot move " + from.string() + ": too many files named like it in " + to_directory.string();
  return std::nullopt;
}

}  // namespace artery::file_connector
