// What the admin endpoints work with: the engine's parts, by reference. The
// endpoints hold nothing of their own between requests except what is here.
#pragma once
#include <artery/cluster_bus.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace artery {
class ChannelRegistry;
class MessageStore;
class PluginRegistry;
class AuditLog;
class AlertRunner;
class ReloadCoordinator;
class ClusterView;
struct EngineConfig;
struct PluginsReloadOutcome;
}  // namespace artery

namespace artery::admin {

class AccountStore;
class StatsSampler;

struct AdminContext {
  ChannelRegistry& channels;
  MessageStore& store;
  PluginRegistry& plugins;
  AuditLog& audit;
  const EngineConfig& config;
  StatsSampler& stats;
  AccountStore* accounts = nullptr;  // users, sessions and API tokens
  AlertRunner* alerts = nullptr;     // the engine's alert rules (none configured: no rules)
  std::filesystem::path console_dir;  // the built web console
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Redeploy reads the channel's file again (the API never takes a channel
  // definition from the network): returns the problem, or "" when redeployed.
  std::function<std::string(const std::string& channel)> redeploy;
  // Channel -> age in seconds of its oldest queued delivery (health, metrics).
  std::function<std::map<std::string, std::int64_t>()> oldest_queued_s;
  ReloadCoordinator* reloads = nullptr;  // hot reload's queue (POST /api/reload)
  // POST /api/plugins/reload: Engine::reload_plugins (through the reload queue),
  // with the trigger in words ("POST /api/plugins/reload by ops").
  std::function<PluginsReloadOutcome(const std::string& trigger)> reload_plugins{};
  // The cluster view (docs/cluster.md); null on a single node, or when the
  // view could not start (the log says why).
  ClusterView* cluster = nullptr;
  // This node's answers to the other nodes' message searches and reads
  // (admin/cluster_search.hpp); the last member, so they stop first.
  std::vector<std::unique_ptr<ClusterSubscription>> cluster_responders{};
};

}  // namespace artery::admin
