// One cluster, one view (docs/cluster.md): every node publishes a snapshot
// of its channels on the cluster bus about once a second, and keeps the
// latest snapshot of every node it hears, so the admin API of any node can
// show the whole cluster: which nodes are there, when each was last heard
// of, each node's channels with their state, counters and the version
// (fingerprint of the files) each runs.
//
// A snapshot carries names, states, counters and fingerprints only, never
// message content: the bus is not a place for PHI. A node unheard of for
// `gone_after` is shown as gone (a SIGKILLed node, a partition); its last
// snapshot stays visible, marked so, until it speaks again.
#pragma once
#include "store/message_store.hpp"

#include <artery/cluster_bus.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace artery {

class ChannelRegistry;

// One channel as one node last reported it.
struct NodeChannelState {
  std::string name;
  std::string state;   // started, paused, stopped, failed, ...
  std::string reason;  // why failed or stopped
  bool clustered = false;  // a clustered channel (its work shared through JetStream)
  std::string version;     // fingerprint of its YAML and scripts as deployed ("" unknown)
  Counters counters;
};

struct NodeView {
  std::string node;
  bool self = false;            // this engine
  bool gone = false;            // unheard of for longer than gone_after
  std::int64_t last_seen_ms = 0;  // unix ms, this node's clock, when its last snapshot arrived
  std::int64_t age_ms = 0;        // since then
  std::int64_t started_ms = 0;    // unix ms, when that node's engine started (its clock)
  std::vector<NodeChannelState> channels;  // sorted by name
};

class ClusterView {
 public:
  // What this node deployed of a channel (ChannelReloader::running_versions).
  struct ChannelVersion {
    std::string version;  // hex fingerprint
    bool clustered = false;
  };
  using Versions = std::function<std::map<std::string, ChannelVersion>()>;
  // A request another node sent to this one (search, message detail): its
  // JSON body in, the JSON answer out. Runs on the bus's thread.
  using Responder = std::function<std::string(const std::string& request)>;

  ClusterView(std::shared_ptr<ClusterBus> bus, std::string node, ChannelRegistry& channels, Versions versions,
              std::chrono::milliseconds every = std::chrono::seconds(1),
              std::chrono::milliseconds gone_after = std::chrono::seconds(5));
  ~ClusterView();  // stops

  // Subscribes to the other nodes' snapshots and starts publishing this
  // one's. False with `error` when the subscription cannot be made.
  bool start(std::string& error);
  void stop();

  const std::string& node() const { return node_; }
  // Every node heard of, sorted by name; this one as last published (at
  // most `every` old).
  std::vector<NodeView> nodes() const;

  // Answers requests of `kind` ("search", "message") addressed to this node.
  // The returned handle stops answering when destroyed; keep it no longer
  // than what the responder refers to.
  std::unique_ptr<ClusterSubscription> serve(const std::string& kind, Responder responder, std::string& error);
  // Asks `node` (request/reply on the bus): its answer, or nullopt with
  // `error` when it does not answer within `timeout`.
  std::optional<std::string> ask(const std::string& node, const std::string& kind, const std::string& request,
                                 std::chrono::milliseconds timeout, std::string& error) const;

  // The subjects (docs/cluster.md).
  static std::string snapshot_subject(const std::string& node);  // artery.view.snapshot.<node>
  static std::string request_subject(const std::string& kind, const std::string& node);  // artery.view.<kind>.<node>

 private:
  struct Heard {
    NodeView view;
    std::chrono::steady_clock::time_point at;
  };
  void run();
  void publish_once();
  void on_snapshot(std::string_view data);
  NodeView local_view() const;

  std::shared_ptr<ClusterBus> bus_;
  std::string node_;
  ChannelRegistry& channels_;
  Versions versions_;
  std::chrono::milliseconds every_;
  std::chrono::milliseconds gone_after_;
  std::int64_t started_ms_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool publish_failing_ = false;  // logged once per outage, not once a second
  std::map<std::string, Heard> heard_;  // other nodes, by name
  // This node as last published: what nodes() shows of it, so any number
  // of dashboards polling cost one registry snapshot a second, not one each.
  std::optional<NodeView> local_;
  std::unique_ptr<ClusterSubscription> subscription_;
  std::thread thread_;
};

}  // namespace artery
