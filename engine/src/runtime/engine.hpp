// The running engine: store, plugins and the deployed channels.
#pragma once
#include "config/engine_config.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/channel_runtime.hpp"
#include "store/message_store.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace artery {

// A channel `start` could not deploy: an invalid channel file, or a valid
// channel whose runtime refused to start (a port in use, a script that fails).
struct ChannelStartFailure {
  std::string channel;  // the channel name, or the file when it has none
  std::string reason;
};

class Engine final : public ChannelDirectory {
 public:
  explicit Engine(EngineConfig config);
  ~Engine() override;

  // Opens the store, loads plugins and deploys every valid, enabled channel.
  // Invalid channels and channels that fail to start are logged at ERROR,
  // one line each with the reason, skipped and listed in start_failures();
  // false only when the engine itself cannot run (the store cannot open).
  bool start(std::string& error);
  // Stops every channel gracefully and flushes the store.
  void stop();

  const EngineConfig& config() const { return config_; }
  PluginRegistry& plugins() { return plugins_; }
  MessageStore& store() { return *store_; }
  const std::vector<std::unique_ptr<ChannelRuntime>>& channels() const { return channels_; }
  // What start() could not deploy. Disabled channels are not failures.
  const std::vector<ChannelStartFailure>& start_failures() const { return start_failures_; }

  // ChannelDirectory: routing between the deployed channels.
  Lookup route(const std::string& name, std::string content, RouteOrigin origin,
               std::function<void(Disposition)> done) override;
  std::vector<std::string> names() const override;

 private:
  void prune_loop();

  EngineConfig config_;
  PluginRegistry plugins_;
  std::unique_ptr<MessageStore> store_;
  std::vector<std::unique_ptr<ChannelRuntime>> channels_;
  // The deployed channels by name, for routing from any channel's thread.
  // Filled before any channel starts; cleared only once all have stopped.
  mutable std::shared_mutex directory_mutex_;
  std::map<std::string, ChannelRuntime*, std::less<>> directory_;
  std::vector<ChannelStartFailure> start_failures_;
  std::thread pruner_;
  std::mutex prune_mutex_;
  std::condition_variable prune_wake_;
  bool stopping_ = false;
};

// Registers what is compiled into the engine (the `lua` destination).
void register_builtin_plugins(PluginRegistry& registry);

// Where require() looks for a channel's shared Lua: scripts/lib beside the
// channel's folder and beside its script.
std::vector<std::filesystem::path> module_paths_for(const ChannelConfig& channel);

}  // namespace artery
