// The running engine: store, plugins and the deployed channels.
#pragma once
#include "alerts/alert_runner.hpp"
#include "config/engine_config.hpp"
#include "control/channel_registry.hpp"
#include "plugin/plugin_registry.hpp"
#include "plugin/plugins_reload_outcome.hpp"
#include "reload/channel_reloader.hpp"
#include "reload/file_watcher.hpp"
#include "reload/reload_coordinator.hpp"
#include "runtime/module_paths.hpp"
#include "store/message_store.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace artery {

class ClusterView;

// A channel `start` could not deploy: an invalid channel file, or a valid
// channel whose runtime refused to start (a port in use, a script that fails).
struct ChannelStartFailure {
  std::string channel;  // the channel name, or the file when it has none
  std::string reason;
};

class Engine {
 public:
  explicit Engine(EngineConfig config);
  ~Engine();

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
  // The deployed channels: every operation and snapshot goes through it.
  ChannelRegistry& channels() { return *registry_; }
  // Reads the channel's file again and redeploys it (validated first: an
  // invalid file leaves the running version as it is, and says why);
  // through the reload queue, after any reload in progress.
  ControlResult redeploy(const std::string& name);
  // Reads the plugins folder again (PluginRegistry::reload_directory) and
  // redeploys, with their current definitions, the channels whose source or
  // destination type is now served by another library; the old library is
  // unloaded when the last of them lets go. Thread-safe; reloads serialize.
  // Through the reload queue when hot reload runs (serialized with every
  // other reload; the plugin pass of the reload that covered the request).
  PluginsReloadOutcome reload_plugins(const std::string& trigger = "plugin reload");
  // Hot reload (docs/reload.md): every trigger queues here. nullptr before start.
  ReloadCoordinator* reloads() { return reloads_.get(); }
  // What start() could not deploy. Disabled channels are not failures.
  const std::vector<ChannelStartFailure>& start_failures() const { return start_failures_; }
  // The alert runner (docs/alerts.md), after start(); it has no rules when
  // the engine config has no `alerts:`. nullptr before start and after stop.
  AlertRunner* alerts() { return alerts_.get(); }
  // The cluster view (docs/cluster.md), with `cluster:` in artery.yaml and
  // the nats plugin's bus; nullptr otherwise (a single node has none).
  ClusterView* cluster_view() { return cluster_view_.get(); }


 private:
  void prune_loop();
  void start_reload(const std::vector<ChannelConfig>& loaded);
  PluginsReloadOutcome reload_plugins_now();  // on the reload queue's thread

  EngineConfig config_;
  PluginRegistry plugins_;
  std::unique_ptr<MessageStore> store_;
  std::unique_ptr<ChannelRegistry> registry_;
  std::unique_ptr<AlertRunner> alerts_;
  std::unique_ptr<ChannelReloader> reloader_;
  std::unique_ptr<ReloadCoordinator> reloads_;
  std::unique_ptr<FileWatcher> watcher_;
  std::unique_ptr<ClusterView> cluster_view_;
  void start_cluster_view();
  std::mutex plugins_outcome_mutex_;
  PluginsReloadOutcome plugins_outcome_;  // of the last plugin pass
  std::vector<ChannelStartFailure> start_failures_;
  std::thread pruner_;
  std::mutex prune_mutex_;
  std::condition_variable prune_wake_;
  bool stopping_ = false;
};

// Registers what is compiled into the engine (the `lua`, `channel`, `webhook`
// and `email` destinations).
void register_builtin_plugins(PluginRegistry& registry);


}  // namespace artery
