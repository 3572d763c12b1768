// The control plane: the one owner of the deployed channels. Everything that
// reads or changes them (the command line, the admin API, hot reload, alerts,
// the pruner, routing between channels) goes through it, by channel name.
//
// Operations on one channel are serialized by that channel's own lock, so a
// redeploy of one never waits for, or touches, another. Snapshots are
// consistent per channel and never block message processing: counters are
// atomics, and a channel's state sits behind a lock that is only held to copy
// it. An operator's stop or pause is kept in the store and survives a restart.
#pragma once
#include "config/channel_config.hpp"
#include "runtime/channel_directory.hpp"
#include "runtime/channel_runtime.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace artery {

struct DestinationSnapshot {
  std::string name;
  std::string type;   // the connector's plugin
  Counters counters;  // counters.queued is the destination's queue depth
};

// The last hot reload that concerned a channel (docs/reload.md): when, and
// whether its new version took over; `error` says why not (file:line:col).
struct LastReload {
  std::int64_t at_ms = 0;
  bool ok = true;
  std::string error;
};

struct ChannelSnapshot {
  std::string name;
  std::string description;
  std::filesystem::path file;
  std::string source_type;
  ChannelState state = ChannelState::stopped;
  std::string reason;  // why it is failed (or stopped by an operator)
  Counters counters;   // the channel's totals; counters.queued is its queue depth
  std::vector<DestinationSnapshot> destinations;
  // The running connectors' counters (source first); empty when not running.
  std::vector<ChannelRuntime::ConnectorMetricsEntry> connectors;
  // ChannelRuntime::processing_time(); zeros for a channel not started in this run.
  LatencyHistogram::Snapshot processing;
  std::optional<LastReload> last_reload;  // none: not reloaded in this run
};

struct ControlResult {
  bool ok = true;
  std::string error;  // for the API: what went wrong, in words
  static ControlResult failure(std::string why) { return {false, std::move(why)}; }
};

class ChannelRegistry final : public ChannelDirectory {
 public:
  // `base` is the environment every channel gets (store, plugins, data
  // folder, Lua limits); the registry adds module paths and itself as the
  // channels a script can route to. `base.store` keeps operators' choices.
  explicit ChannelRegistry(RuntimeEnvironment base);
  ~ChannelRegistry() override;

  // Adds a channel from a validated definition and brings it to the state its
  // operator left it in (started unless stopped or paused by an operator).
  // A start failure leaves it `failed` with the reason: deployed nonetheless,
  // so it can be started again without restarting the engine.
  ControlResult deploy(ChannelConfig config);
  // Deploys several at once: all are known by name before any starts, so
  // routes between them resolve; one result per config, in order.
  std::vector<ControlResult> deploy_all(std::vector<ChannelConfig> configs);
  // Stops the channel (queued deliveries stay in the store) and forgets it.
  ControlResult undeploy(const std::string& name);
  // Replaces the channel's definition, in the state the operator chose (a
  // stopped channel stays stopped, a paused one paused). A running channel
  // is swapped without a gap: the new version is built and started beside
  // the old one, its listener on the old one's socket (the port never
  // closes); then the old source stops (in-flight messages get their
  // answer), then the old destinations (their queues are in the store), and
  // the new version delivers what they left. When the new version does not
  // start, the old one keeps running untouched, with its definition, and
  // the result says why.
  ControlResult redeploy(ChannelConfig config);
  // Swaps the running channel's Lua states for ones built from the script
  // files as they are now (ChannelRuntime::reload_scripts): source, queues
  // and connectors untouched. A script that does not load keeps the old
  // states; the error names it (file:line). A channel that is not running
  // has nothing to swap (its next start reads the files).
  ControlResult reload_scripts(const std::string& name);
  ControlResult start(const std::string& name);
  ControlResult stop(const std::string& name);
  ControlResult pause(const std::string& name);
  ControlResult resume(const std::string& name);

  // An operator's queue purge (ChannelRuntime::purge_queued): `purged` says
  // how many deliveries ended as ERROR with `reason`. Serialized with the
  // channel's start/stop/redeploy.
  ControlResult purge_queue(const std::string& name, const std::string& destination, const std::string& reason,
                            std::int64_t& purged);

  std::vector<ChannelSnapshot> snapshot() const;  // sorted by name
  std::optional<ChannelSnapshot> snapshot(const std::string& name) const;
  std::vector<ChannelConfig> configs() const;  // the deployed definitions (pruner, API)
  // Hot reload's verdict on the channel, shown in its snapshot until the next.
  void record_reload(const std::string& name, LastReload reload);

  // Stops every channel in parallel for the engine's shutdown; unlike stop(),
  // this is not an operator's choice and is not remembered.
  void stop_all();

  // ChannelDirectory
  Lookup route(const std::string& name, std::string content, RouteOrigin origin,
               std::function<void(Disposition)> done) override;
  std::vector<std::string> names() const override;

 private:
  struct Entry;
  std::shared_ptr<Entry> find(const std::string& name) const;
  using StoredCounters = std::map<std::string, std::map<std::string, Counters>>;
  ChannelSnapshot snapshot_of(Entry& entry, std::optional<StoredCounters>& stored) const;
  ControlResult start_locked(Entry& entry);
  void stop_locked(Entry& entry);
  ControlResult swap_locked(Entry& entry, std::shared_ptr<ChannelRuntime> old, ChannelConfig config);
  void remember(const std::string& name, const std::string& choice);  // "" forgets

  RuntimeEnvironment base_;
  mutable std::shared_mutex mutex_;  // guards the map only
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> channels_;
};

}  // namespace artery
