// Watches folders with inotify and reports what changed in them once things
// have been quiet for `debounce`: an editor's save (write a temporary file,
// rename it over the old one, touch the folder) is one report, not four.
// Only names a reload cares about count (*.yaml, *.yml, *.lua, *.so); hidden
// files and editor backups (.x.swp, x~, .#x) are ignored. Not recursive: the
// caller names every folder (the channels folder, each script's folder,
// scripts/lib and its subfolders in use, the plugins folder).
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace artery {

class FileWatcher {
 public:
  // Called on the watcher's thread with the changed files (sorted, each
  // once). `overflow`: the kernel dropped events; anything may have changed.
  using Callback = std::function<void(const std::vector<std::filesystem::path>& changed, bool overflow)>;

  FileWatcher(std::chrono::milliseconds debounce, Callback callback);
  ~FileWatcher();  // stop()
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  bool start(std::string& error);
  void stop();
  // Watches exactly these folders from now on (those missing are skipped
  // until a later call names them again). Thread-safe.
  void watch(const std::vector<std::filesystem::path>& folders);
  std::vector<std::filesystem::path> watched() const;

  // Whether a change to this file name is worth a report.
  static bool relevant(const std::filesystem::path& file);

 private:
  void loop();

  std::chrono::milliseconds debounce_;
  Callback callback_;
  int inotify_ = -1;
  int wake_ = -1;  // eventfd: stop
  mutable std::mutex mutex_;
  std::map<int, std::filesystem::path> folders_;  // watch descriptor -> folder
  std::thread thread_;
};

}  // namespace artery
