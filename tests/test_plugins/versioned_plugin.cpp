// The plugin the hot-load test swaps: one source file, built as version 1, 2
// and 3 (ARTERY_TEST_PLUGIN_VERSION; 3 with another compiler, so its build
// fingerprint is wrong). `type: versioned` is a destination that appends each
// message to `path` as one line behind its version, "v1 <content>", so the
// output shows which build delivered what.
//
// It keeps the contract a hot-loadable plugin must keep (docs/plugins.md):
// its lines are written by a thread of its own that calls `done` from there,
// and stop() answers what it has not written (retry, so the engine keeps it
// queued for the next version) and joins that thread before it returns, so
// nothing of the library runs once the engine lets go of it. Header-only use
// of artery/*, so the other compiler's build loads far enough to be refused
// by its fingerprint.
#include <artery/plugin.hpp>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#ifndef ARTERY_TEST_PLUGIN_VERSION
#error "build with -DARTERY_TEST_PLUGIN_VERSION=<n>"
#endif
#define ARTERY_TEXT_(x) #x
#define ARTERY_TEXT(x) ARTERY_TEXT_(x)

namespace {

constexpr const char* kVersion = ARTERY_TEXT(ARTERY_TEST_PLUGIN_VERSION) ".0.0";
constexpr const char* kStamp = "v" ARTERY_TEXT(ARTERY_TEST_PLUGIN_VERSION);

const artery::OptionSpec kOptions[] = {
    {"path", "string", nullptr, true, "File the stamped lines are appended to (relative to the channel file)"},
};

class VersionedDestination final : public artery::Destination {
 public:
  explicit VersionedDestination(std::filesystem::path path) : path_(std::move(path)) {}
  ~VersionedDestination() override { stop(); }

  bool start(std::string&) override {
    writer_ = std::thread([this] { write_loop(); });
    return true;
  }

  void stop() override {
    std::deque<Pending> unwritten;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      unwritten.swap(pending_);
    }
    wake_.notify_all();
    if (writer_.joinable()) writer_.join();
    for (auto& p : unwritten) p.done({artery::SendResult::Status::retry, {}, "stopping"});
  }

  void send(artery::OutboundMessage message, std::function<void(artery::SendResult)> done) override {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      return done({artery::SendResult::Status::retry, {}, "stopping"});
    }
    pending_.push_back({std::move(message.content), std::move(done)});
    wake_.notify_one();
  }

 private:
  struct Pending {
    std::string content;
    std::function<void(artery::SendResult)> done;
  };

  void write_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      std::string line = std::string(kStamp) + " " + p.content;
      for (char& c : line)
        if (c == '\r' || c == '\n') c = ' ';
      std::ofstream out(path_, std::ios::app | std::ios::binary);
      out << line << '\n';
      out.flush();
      if (out) p.done({artery::SendResult::Status::sent, kStamp, {}});
      else p.done({artery::SendResult::Status::retry, {}, "cannot append to " + path_.string()});
      lock.lock();
    }
  }

  std::filesystem::path path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  bool stopping_ = false;
  std::thread writer_;
};

std::unique_ptr<artery::Destination> make_destination(const artery::ConnectorOptions& options,
                                                      artery::ConnectorContext& context, std::string& error) noexcept {
  return artery::guarded_create(error, [&]() -> std::unique_ptr<artery::Destination> {
    auto path = options.tree.get_optional<std::string>("path");
    if (!path || path->empty()) {
      error = "versioned: 'path' is required";
      return nullptr;
    }
    std::filesystem::path file(*path);
    if (file.is_relative()) file = context.base_dir() / file;
    return std::make_unique<VersionedDestination>(std::move(file));
  });
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor{
      artery::kApiMajor,     artery::kApiMinor, &artery::kBuildFingerprint,
      "versioned",           kVersion,          "Test: appends each message behind the plugin's version",
      nullptr,               nullptr,           0,
      kOptions,              std::size(kOptions),
      nullptr,               &make_destination,
  };
  return &descriptor;
}
