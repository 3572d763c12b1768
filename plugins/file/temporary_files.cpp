#include "temporary_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

namespace artery::file_connector {
namespace {

constexpr std::string_view kPrefix = ".artery-";
constexpr std::string_view kSuffix = ".tmp";

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string temporary_name(const std::string& directory) {
  static std::atomic<std::uint64_t> counter{0};
  // Starts with '.': the file source's default globs never pick it up.
  return directory + "/.artery-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".tmp";
}

bool is_abandoned_temporary(std::string_view name) {
  if (name.size() <= kPrefix.size() + kSuffix.size() || name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(name.size() - kSuffix.size()) != kSuffix)
    return false;
  std::string_view middle = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  auto dash = middle.find('-');
  if (dash == std::string_view::npos) return false;
  std::string_view pid_text = middle.substr(0, dash), counter_text = middle.substr(dash + 1);
  if (!all_digits(pid_text) || !all_digits(counter_text) || pid_text.size() > 9) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(std::string(pid_text)));
  if (pid <= 0 || pid == ::getpid()) return false;
  // EPERM: a process of another user has that pid, so it is alive.
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::size_t remove_abandoned_temporaries(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) return 0;
  std::size_t removed = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (!is_abandoned_temporary(entry->d_name)) continue;
    // unlinkat on the listed folder: a name, never a path a rename could redirect.
    if (::unlinkat(::dirfd(dir), entry->d_name, 0) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

std::string fixed_folder_of(const std::string& directory_template) {
  auto open = directory_template.find("${");
  if (open == std::string::npos) return directory_template;
  auto slash = directory_template.rfind('/', open);
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : directory_template.substr(0, slash);
}

}  // namespace artery::file_connector
