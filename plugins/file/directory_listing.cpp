#include "directory_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace artery::file_connector {
namespace {

std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }

bool skipped(const struct stat& st, const ListingOptions& options) {
  return std::any_of(options.skip_directories.begin(), options.skip_directories.end(),
                     [&](const auto& d) { return d.first == st.st_dev && d.second == st.st_ino; });
}

// Symlinked folders are not followed: a link to a parent would make the scan endless.
constexpr int kMaxDepth = 64;

bool is_symlink(int dir_fd, const dirent& entry) {
  if (entry.d_type == DT_LNK) return true;
  if (entry.d_type != DT_UNKNOWN) return false;
  struct stat st {};
  return fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

// readdir + fstatat on the folder's descriptor: one stat per candidate, no path
// re-resolution, so a scan of thousands of files stays cheap.
void scan(int dir_fd, const std::string& directory, const std::string& prefix, const ListingOptions& options,
          int depth, Listing& out) {
  DIR* dir = fdopendir(dir_fd);
  if (!dir) {
    ::close(dir_fd);
    out.warnings.push_back("cannot read " + directory + ": " + errno_text());
    return;
  }
  while (dirent* entry = readdir(dir)) {
    const char* name = entry->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    bool maybe_dir = entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK;
    bool matches = fnmatch(options.glob.c_str(), name, FNM_PERIOD) == 0;
    if (!matches && !(options.recursive && maybe_dir)) continue;
    struct stat st {};
    if (fstatat(dirfd(dir), name, &st, 0) != 0) {
      if (errno != ENOENT) out.warnings.push_back("cannot stat " + directory + "/" + name + ": " + errno_text());
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      if (!matches) continue;
      ListedFile file;
      file.name = name;
      file.relative = prefix + name;
      file.path = directory + "/" + name;
      file.size = static_cast<std::uint64_t>(st.st_size);
      file.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      out.files.push_back(std::move(file));
    } else if (S_ISDIR(st.st_mode) && options.recursive && name[0] != '.' && depth < kMaxDepth &&
               !is_symlink(dirfd(dir), *entry) && !skipped(st, options)) {
      int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (child < 0) {
        out.warnings.push_back("cannot open " + directory + "/" + name + ": " + errno_text());
        continue;
      }
      scan(child, directory + "/" + name, prefix + name + "/", options, depth + 1, out);
    }
  }
  closedir(dir);
}

}  // namespace

Listing list_directory(const std::string& directory, const ListingOptions& options) {
  Listing out;
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    out.error = "cannot open " + directory + ": " + errno_text();
    return out;
  }
  scan(fd, directory, "", options, 0, out);
  return out;
}

}  // namespace artery::file_connector
