// A deployed channel: its source, its worker threads (each with its own Lua
// state) that filter and transform, the store commit that precedes every
// acknowledgement, and one DestinationWorker per destination.
#pragma once
#include "config/channel_config.hpp"
#include "consent/consent_filter.hpp"
#include "lua/script.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/blocking_queue.hpp"
#include "runtime/channel_directory.hpp"
#include "runtime/channel_counters.hpp"
#include "runtime/channel_script_services.hpp"
#include "runtime/destination_worker.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/store_connector_context.hpp"
#include "store/message_store.hpp"

#include <artery/failed_message_host.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace artery {

struct RuntimeEnvironment {
  MessageStore* store = nullptr;
  const PluginRegistry* plugins = nullptr;
  std::filesystem::path data_dir;
  lua::Limits lua_limits;
  std::vector<std::filesystem::path> module_paths;  // require() search folders (scripts/lib)
  // Deliveries each destination keeps in memory; beyond it they are read back from the store.
  std::size_t delivery_window = 10'000;
  // The other channels, for `channel` destinations and router.route(); null: no routing.
  ChannelDirectory* channels = nullptr;
};

enum class ChannelState { stopped, starting, started, paused, stopping, failed };
std::string_view to_string(ChannelState state);

// SourceHost and FailedMessageHost are public bases so a source can find the
// second from the first (failed_message_host()); their calls stay private.
class ChannelRuntime final : public SourceHost, public FailedMessageHost {
 public:
  ChannelRuntime(ChannelConfig config, RuntimeEnvironment environment);
  ~ChannelRuntime() override;

  // Builds everything (scripts, destinations, source) and starts it; on any
  // failure nothing is left running and `error` says what failed.
  bool start(std::string& error);
  // A redeploy without a gap, in two steps. start_beside() builds and starts
  // this version while `predecessor` (the running version of the same
  // channel) still runs: the source takes over the predecessor's listening
  // socket (ConnectorContext::listen_sockets), so both accept for a moment,
  // and messages are taken and committed at once; the destinations are
  // started but do not deliver yet (the predecessor still delivers the same
  // queues), and ctx.store is the predecessor's. On failure nothing of this
  // version is left and the predecessor is untouched. The caller then stops
  // the predecessor and calls take_over(): the counters continue from the
  // predecessor's, and the destinations read their queues back from the
  // store, the predecessor's leftovers first (by id).
  bool start_beside(std::shared_ptr<ChannelRuntime> predecessor, std::string& error);
  void take_over();
  // Rebuilds every Lua state of the running channel from the files as they
  // are now (channel script per worker, destination scripts, `lua`
  // destinations; require()d modules are read again) and swaps them in at a
  // message boundary: a message or delivery that began before goes on with
  // the state it began with, every one begun after this returns runs the new
  // one; the source, the queues and the connectors are untouched. All or
  // nothing: when any script fails to load, nothing is swapped and `error`
  // says which (file:line). Not concurrently with start/stop (the registry
  // serializes them). A channel that is not running has nothing to swap.
  bool reload_scripts(std::string& error);
  // Graceful: stop the source (in-flight messages get their answer), finish
  // transforms, commit, stop destinations (queued deliveries stay queued).
  void stop();
  // The source stops taking messages (in-flight ones get their answer);
  // transforms finish and destinations keep delivering their queues.
  void pause();
  // Starts a new source; false (still paused) with `error` when it cannot.
  bool resume(std::string& error);

  const ChannelConfig& config() const { return config_; }
  ChannelState state() const { return state_; }
  Counters counters() const;
  std::map<std::string, Counters> destination_counters() const;
  // The connector counters (artery/connector_metrics.hpp) of the running
  // source ("source") and each destination (by name), source first; empty
  // when the channel is not running. Any thread.
  struct ConnectorMetricsEntry {
    std::string connector;
    ConnectorMetricsSnapshot metrics;
  };
  std::vector<ConnectorMetricsEntry> connector_metrics() const;
  // Time from ingress (the source's submit, or a route from another channel)
  // to the store commit's callback — the point an after-commit ACK goes out —
  // of every message committed since this runtime was created. Any thread.
  LatencyHistogram::Snapshot processing_time() const { return processing_.snapshot(); }

  // An operator's queue purge: the queued deliveries of `destination` ("" =
  // every destination, the router's queue too) end as ERROR with `reason`
  // (DestinationWorker::purge). Running or stopped. Returns how many, or -1
  // when the channel has no destination of that name. Not concurrently with
  // start/stop (the registry serializes them).
  std::int64_t purge_queued(const std::string& destination, const std::string& reason);

  // A message routed here by another channel: processed as if this channel's
  // source had received it, and stored with the link to where it came from.
  void route_in(Message message, RouteOrigin origin, std::function<void(Disposition)> done);

 private:
  struct Ingress {
    Message message;
    std::function<void(Disposition)> done;
    std::int64_t received_at_ms;
    RouteOrigin origin;  // empty unless routed here from another channel
    // Set where the Ingress is made (submit, route_in): the processing time's start.
    std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
    // submit_failed(): stored as ERROR with this reason, without the script.
    std::string failure = {};
  };

  void submit(Message message, std::function<void(Disposition)> done) override;
  void submit_failed(Message message, std::string reason, std::function<void(Disposition)> done) override;
  bool start_impl(std::shared_ptr<ChannelRuntime> predecessor, std::string& error);
  void take(Ingress ingress);
  void work(std::size_t index);
  void take_worker_script(std::size_t index);
  std::shared_ptr<lua::Script> load_destination_script(const DestinationConfig& dest, std::string& error) const;
  void process(Ingress& ingress, lua::Script* script);
  void committed(std::int64_t id, const std::string& error, std::shared_ptr<Ingress> ingress, Disposition reply,
                 const NewMessage& summary, std::shared_ptr<std::string> payload);
  void count_queued(const NewMessage& summary, int sign);
  void final_outcome(std::int64_t message_id, const SendResult& result);
  bool build_destinations(std::string& error);
  std::unique_ptr<Destination> build_channel_destination(const DestinationConfig& dest, std::string& error);
  bool build_router(std::string& error);
  bool start_source(std::string& error);
  void build_outcomes();
  void add_routes(NewMessage& row, std::vector<lua::RoutedPayload>& routes);
  void stop_parts();

  ChannelConfig config_;
  RuntimeEnvironment env_;
  std::atomic<ChannelState> state_{ChannelState::stopped};
  LiveCounters counters_;
  LatencyHistogram processing_;
  std::map<std::string, std::unique_ptr<LiveCounters>> destination_counters_;
  // Shared with the version this one took over from (start_beside), so
  // ctx.store reads what either wrote.
  std::shared_ptr<ChannelScriptServices> services_;
  std::vector<std::unique_ptr<lua::Script>> scripts_;  // one per worker; worker i alone touches scripts_[i]
  // A reloaded channel script waiting for worker i's next message (workers > 1).
  struct WorkerScript {
    std::mutex mutex;
    std::unique_ptr<lua::Script> next;
    std::atomic<bool> waiting{false};
  };
  std::vector<std::unique_ptr<WorkerScript>> worker_scripts_;
  // The version this one is taking over from, between start_beside() and
  // take_over(): counters add its counts while both run.
  mutable std::mutex predecessor_mutex_;
  std::shared_ptr<ChannelRuntime> predecessor_;
  bool deliver_on_start_ = true;  // false between start_beside() and take_over()
  mutable std::mutex contexts_mutex_;  // contexts_ changes at start/stop while connector_metrics() reads
  std::vector<std::unique_ptr<StoreConnectorContext>> contexts_;
  std::vector<std::unique_ptr<DestinationWorker>> destinations_;
  std::unique_ptr<DeliveryOutcomes> outcomes_;  // chained destinations (`after:`); null without
  std::unique_ptr<DestinationWorker> router_;  // router.route() deliveries (see build_router)
  bool routes_ = false;                        // router_ is built
  std::unique_ptr<consent::ConsentFilter> consent_;  // `consent:`; null without one
  std::unique_ptr<StoreConnectorContext> source_context_;  // outlives each source (pause/resume)
  ConnectorHandle<Source> source_;
  std::unique_ptr<BlockingQueue<Ingress>> ingress_;  // workers > 1 only
  bool inline_ = true;           // workers: 1 processes on the submitting thread
  std::mutex inline_mutex_;      // one message at a time through the one Lua state
  bool accepting_ = false;       // guarded by inline_mutex_
  std::vector<std::thread> workers_;
  // Routed messages arrive from other channels' threads at any time, also
  // while this channel stops: stop_parts() closes this first, and waits for
  // a route_in() in progress, before taking its parts down.
  std::shared_mutex routing_mutex_;
  bool routable_ = false;  // guarded by routing_mutex_

  // ack: after-delivery: answers waiting for the first destination's outcome.
  std::mutex waiting_mutex_;
  std::map<std::int64_t, std::function<void(Disposition)>> waiting_;
  // A destination reading its queue back from the store can deliver a message
  // between its COMMIT and its commit callback, i.e. before it is in waiting_:
  // such outcomes wait here for committed(). Ids at or below committed_through_
  // have had their callback, so an unmatched outcome for them (a delivery
  // recovered from an earlier run) is dropped rather than kept forever.
  std::map<std::int64_t, SendResult> early_outcomes_;
  std::int64_t committed_through_ = 0;

  // A clustered channel (cluster/clustered_channel.hpp): this runtime is its
  // processing half, and this one its ingress half (config_.cluster_ingress),
  // started after it and stopped, paused and resumed with it.
  std::shared_ptr<ChannelRuntime> ingress_half_;
  bool start_ingress_half(std::shared_ptr<ChannelRuntime> predecessor, std::string& error);
};

}  // namespace artery
