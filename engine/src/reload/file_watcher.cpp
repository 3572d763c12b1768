#include "reload/file_watcher.hpp"

#include "log/logger.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace artery {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

FileWatcher::FileWatcher(std::chrono::milliseconds debounce, Callback callback)
    : debounce_(debounce), callback_(std::move(callback)) {}

FileWatcher::~FileWatcher() { stop(); }

bool FileWatcher::relevant(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.empty() || name.front() == '.' || name.back() == '~') return false;
  const std::string ext = file.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".lua" || ext == ".so";
}

bool FileWatcher::start(std::string& error) {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0) {
    error = std::string("inotify: ") + std::strerror(errno);
    return false;
  }
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    ::close(inotify_);
    inotify_ = -1;
    return false;
  }
  thread_ = std::thread([this] { loop(); });
  return true;
}

void FileWatcher::stop() {
  if (wake_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (inotify_ >= 0) ::close(inotify_);
  if (wake_ >= 0) ::close(wake_);
  inotify_ = wake_ = -1;
  folders_.clear();
}

void FileWatcher::watch(const std::vector<fs::path>& wanted) {
  std::lock_guard lock(mutex_);
  if (inotify_ < 0) return;
  std::set<fs::path> keep;
  for (const auto& folder : wanted) {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(folder, ec);
    if (!ec && fs::is_directory(canonical, ec)) keep.insert(canonical);
  }
  for (auto it = folders_.begin(); it != folders_.end();) {
    if (keep.erase(it->second)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(inotify_, it->first);
    it = folders_.erase(it);
  }
  for (const auto& folder : keep) {
    // Adding a folder already watched returns its descriptor again.
    const int wd = ::inotify_add_watch(inotify_, folder.c_str(), kMask);
    if (wd < 0) {
      logger::warn("reload", "cannot watch " + folder.string() + ": " + std::strerror(errno));
      continue;
    }
    folders_[wd] = folder;
  }
}

std::vector<fs::path> FileWatcher::watched() const {
  std::lock_guard lock(mutex_);
  std::vector<fs::path> out;
  for (const auto& [wd, folder] : folders_) out.push_back(folder);
  return out;
}

void FileWatcher::loop() {
  using clock = std::chrono::steady_clock;
  std::set<fs::path> changed;
  bool overflow = false;
  bool armed = false;  // something changed and is not reported yet
  clock::time_point first{}, last{};
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    int timeout_ms = -1;
    if (armed) {
      // Quiet for `debounce`, or at most 5 debounces after the first event,
      // so a file written to without pause still reloads.
      auto due = std::min(last + debounce_, first + 5 * debounce_);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - clock::now()).count();
      timeout_ms = static_cast<int>(std::max<long long>(left, 0));
    }
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      logger::error("reload", std::string("file watcher stopped: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents & POLLIN) return;
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      for (;;) {
        const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
        if (n <= 0) break;
        for (char* at = buffer; at < buffer + n;) {
          const auto* event = reinterpret_cast<const inotify_event*>(at);
          at += sizeof(inotify_event) + event->len;
          if (event->mask & IN_Q_OVERFLOW) {
            overflow = true;
          } else if (event->mask & IN_IGNORED) {
            std::lock_guard lock(mutex_);
            folders_.erase(event->wd);  // the folder went
            continue;
          } else if (event->len > 0) {
            fs::path folder;
            {
              std::lock_guard lock(mutex_);
              auto it = folders_.find(event->wd);
              if (it == folders_.end()) continue;
              folder = it->second;
            }
            fs::path file = folder / event->name;
            if (!relevant(file)) continue;
            changed.insert(std::move(file));
          } else {
            continue;
          }
          last = clock::now();
          if (!armed) first = last;
          armed = true;
        }
      }
    }
    if (armed && clock::now() >= std::min(last + debounce_, first + 5 * debounce_)) {
      std::vector<fs::path> files(changed.begin(), changed.end());
      const bool dropped = overflow;
      changed.clear();
      overflow = false;
      armed = false;
      callback_(files, dropped);
    }
  }
}

}  // namespace artery
