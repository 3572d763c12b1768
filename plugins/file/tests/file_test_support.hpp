// Shared pieces of the file plugin's tests: a temporary folder, a connector
// context, options filled the way the engine fills them, and a SourceHost
// that records messages and answers them from its own thread.
#pragma once
#include <artery/options.hpp>
#include <artery/plugin.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace file_test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("artery-file-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
};

// Written beside the target under a hidden name and renamed, as a careful
// producer does: a poller with min_age 0 must never see it half written.
inline void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  const fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".writing");
  {
    std::ofstream out(temporary, std::ios::binary);
    out << content;
  }
  fs::rename(temporary, path);
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Makes a file look old enough for min_age.
inline void age(const fs::path& path, std::chrono::seconds by = std::chrono::seconds(3600)) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - by);
}

inline std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class TestContext final : public artery::ConnectorContext {
 public:
  explicit TestContext(fs::path base) : base_(std::move(base)) {}
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(artery::LogLevel, std::string_view text) override {
    std::lock_guard lock(mutex_);
    logs_.emplace_back(text);
  }
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  fs::path base_dir() const override { return base_; }
  fs::path data_dir() const override { return base_ / "data"; }
  std::vector<std::string> logs() {
    std::lock_guard lock(mutex_);
    return logs_;
  }

 private:
  fs::path base_;
  std::string channel_ = "test-channel";
  std::string connector_ = "source";
  std::mutex mutex_;
  std::vector<std::string> logs_;
};

// Options as the engine hands them over: given keys, then every declared default.
inline artery::ConnectorOptions make_options(const artery::OptionSpec* specs, std::size_t count,
                                             std::initializer_list<std::pair<std::string, std::string>> given) {
  artery::ConnectorOptions options;
  for (const auto& [key, value] : given) options.tree.put(key, value);
  for (std::size_t i = 0; i < count; ++i)
    if (specs[i].default_value && !options.tree.get_optional<std::string>(specs[i].key))
      options.tree.put(specs[i].key, specs[i].default_value);
  options.locations[""] = "channel.yaml:3:3";
  return options;
}

// Records every submitted message and answers it from a separate thread, as
// the engine does, with the status `decide` picks for it.
class RecordingHost final : public artery::SourceHost {
 public:
  using Decide = std::function<artery::Disposition::Status(const artery::Message&)>;
  explicit RecordingHost(Decide decide = {}) : decide_(std::move(decide)), answerer_([this] { answer_loop(); }) {}
  ~RecordingHost() override {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    cv_.notify_all();
    answerer_.join();
  }

  void submit(artery::Message message, std::function<void(artery::Disposition)> done) override {
    artery::Disposition d;
    d.status = decide_ ? decide_(message) : artery::Disposition::Status::accepted;
    if (d.status != artery::Disposition::Status::accepted) d.error = "test host said no";
    std::lock_guard lock(mutex_);
    d.message_id = static_cast<std::int64_t>(messages_.size() + 1);
    messages_.push_back(std::move(message));
    pending_.emplace_back(std::move(done), std::move(d));
    cv_.notify_all();
  }

  std::vector<artery::Message> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::string> contents() {
    std::vector<std::string> out;
    for (auto& m : messages()) out.push_back(m.content);
    return out;
  }
  // Waits (bounded, so a broken build fails instead of hanging) for `n` messages.
  bool wait_for(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return messages_.size() >= n && pending_.empty(); });
  }

 private:
  void answer_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [&] { return closing_ || !pending_.empty(); });
      if (pending_.empty()) return;
      auto [done, d] = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      done(std::move(d));
      lock.lock();
      cv_.notify_all();
    }
  }

  Decide decide_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool closing_ = false;
  std::vector<artery::Message> messages_;
  std::deque<std::pair<std::function<void(artery::Disposition)>, artery::Disposition>> pending_;
  std::thread answerer_;
};

inline std::string attribute(const artery::Message& m, const std::string& key) {
  for (const auto& [k, v] : m.attributes)
    if (k == key) return v;
  return {};
}

}  // namespace file_test
