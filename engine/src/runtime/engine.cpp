#include "runtime/engine.hpp"

#include "cluster/cluster_bus_opening.hpp"
#include "cluster/cluster_settings.hpp"
#include "cluster/cluster_view.hpp"
#include "log/logger.hpp"
#include "notify/email_destination.hpp"
#include "notify/webhook_destination.hpp"
#include "runtime/channel_destination.hpp"
#include "runtime/channel_preflight.hpp"
#include "runtime/lua_destination.hpp"

#include <algorithm>

namespace artery {

void register_builtin_plugins(PluginRegistry& registry) {
  registry.add_builtin(lua_destination_descriptor());
  registry.add_builtin(channel_plugin_descriptor());
  registry.add_builtin(webhook_destination_descriptor());
  registry.add_builtin(email_destination_descriptor());
}

Engine::Engine(EngineConfig config) : config_(std::move(config)) { register_builtin_plugins(plugins_); }

Engine::~Engine() { stop(); }

namespace {

// A channel's running version as the cluster view shows it: its portable
// fingerprint (YAML, scripts, modules; not where they are) in 16 hex digits.
std::string version_text(const ChannelFingerprint& fingerprint) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int shift = 60; shift >= 0; shift -= 4) out += hex[(fingerprint.portable >> shift) & 15];
  return out;
}

}  // namespace

void Engine::start_cluster_view() {
  if (!config_.cluster) return;
  std::string error;
  auto bus = open_cluster_bus(plugins_, *config_.cluster, error);
  if (!bus) {
    logger::error("cluster", "the cluster view is off on this node (other nodes do not see it, and its API shows "
                             "only itself): " + error);
    return;
  }
  auto view = std::make_unique<ClusterView>(std::move(bus), config_.cluster->node, *registry_, [this] {
    std::map<std::string, ClusterView::ChannelVersion> out;
    if (!reloader_) return out;
    for (const auto& [name, running] : reloader_->running_versions())
      out[name] = {version_text(running.fingerprint), running.clustered};
    return out;
  });
  if (!view->start(error)) {
    logger::error("cluster", "the cluster view is off on this node: " + error);
    return;
  }
  logger::info("cluster", "cluster view on: node " + config_.cluster->node + " publishes its channels' snapshots");
  cluster_view_ = std::move(view);
}

bool Engine::start(std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    error = "cannot create data directory " + config_.data_dir.string() + ": " + ec.message();
    return false;
  }
  store_ = MessageStore::open(config_.data_dir / "artery.db", config_.durability, error, config_.storage);
  if (!store_) return false;
  // Each library runs from its own copy: a file replaced in the plugins
  // folder never changes code that is running, and can be hot loaded.
  plugins_.load_from_copies_in(config_.data_dir / "plugin-copies");
  plugins_.load_directory(config_.plugins_dir);

  Diagnostics diagnostics;
  auto configs = load_channels({config_.channels_dir}, plugins_, diagnostics, config_.cluster.get());
  // A file with problems deploys nothing: its problems, then one line saying
  // so, and one failure per file for the summary.
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    const Diagnostic& d = diagnostics[i];
    logger::error("config", d.str());
    const bool last_of_file = i + 1 == diagnostics.size() || diagnostics[i + 1].file != d.file;
    const bool counted = std::any_of(start_failures_.begin(), start_failures_.end(),
                                     [&](const ChannelStartFailure& f) { return f.channel == d.file; });
    if (last_of_file && !counted) {
      logger::error("config", d.file + ": channel not deployed (see the errors above)");
      start_failures_.push_back({d.file, "invalid channel file"});
    }
  }
  RuntimeEnvironment base;
  base.store = store_.get();
  base.plugins = &plugins_;
  base.data_dir = config_.data_dir;
  base.lua_limits = config_.lua_limits;
  registry_ = std::make_unique<ChannelRegistry>(std::move(base));
  const std::vector<ChannelConfig> loaded = configs;  // what hot reload compares with
  std::vector<ChannelConfig> enabled;
  for (auto& channel : configs) {
    if (!channel.enabled) logger::info(channel.name, "disabled; not deployed");
    else enabled.push_back(std::move(channel));
  }
  std::vector<std::string> names;
  for (const auto& channel : enabled) names.push_back(channel.name);
  auto results = registry_->deploy_all(std::move(enabled));
  for (std::size_t i = 0; i < results.size(); ++i)
    if (!results[i].ok) start_failures_.push_back({names[i], results[i].error});
  // After the channels deploy, so a channel that failed to start is the first alert.
  alerts_ = std::make_unique<AlertRunner>(config_.alerts, *registry_, *store_);
  std::string alert_problem;
  if (!alerts_->start(alert_problem)) logger::error("alerts", alert_problem);
  start_reload(loaded);
  start_cluster_view();
  pruner_ = std::thread([this] { prune_loop(); });
  return true;
}

void Engine::start_reload(const std::vector<ChannelConfig>& loaded) {
  ChannelReloaderSettings settings{config_.channels_dir, config_.plugins_dir, config_.data_dir, config_.lua_limits,
                                   config_.cluster};
  reloader_ = std::make_unique<ChannelReloader>(std::move(settings), plugins_, *registry_,
                                                [this](const ChannelChange& change) {
                                                  // A failed reload is an alert event like a rule's.
                                                  AlertEvent event;
                                                  event.kind = "reload_failed";
                                                  event.rule = "hot reload";
                                                  event.channel = change.channel;
                                                  event.condition = "reload";
                                                  event.reason = change.action == "kept"
                                                                     ? "the new version was refused; the running "
                                                                       "version stays: " + change.error
                                                                     : change.error;
                                                  if (alerts_) alerts_->report(std::move(event));
                                                });
  reloader_->adopt(loaded);
  reloads_ = std::make_unique<ReloadCoordinator>([this](const ReloadRequest& request) {
    // Plugins first: a channel file changed in the same reload is then
    // checked against the new plugins' schemas.
    std::optional<PluginsReloadOutcome> plugins;
    if (request.plugins) {
      plugins = reload_plugins_now();
      std::lock_guard lock(plugins_outcome_mutex_);
      plugins_outcome_ = *plugins;
    }
    auto outcome = reloader_->run(request);
    if (plugins) {
      outcome.plugins = plugins->summary();
      if (!plugins->ok()) {
        outcome.ok = false;
        outcome.error += (outcome.error.empty() ? "" : "\n") + outcome.plugins;
      }
    }
    if (watcher_) watcher_->watch(reloader_->watched_folders());  // new scripts, new channels
    return outcome;
  });
  if (!config_.reload.watch) {
    logger::info("reload", "not watching files (reload.watch: false); reload with SIGHUP, POST /api/reload or "
                           "artery reload");
    return;
  }
  const auto plugins_dir = config_.plugins_dir;
  watcher_ = std::make_unique<FileWatcher>(
      config_.reload.debounce, [this, plugins_dir](const std::vector<std::filesystem::path>& changed, bool overflow) {
        ReloadRequest request;
        request.folder = true;
        for (const auto& file : changed)
          if (file.extension() == ".so") request.plugins = true;
        std::string what = overflow ? "many files" : changed.empty() ? "a file" : changed.front().filename().string();
        if (changed.size() > 1) what += " and " + std::to_string(changed.size() - 1) + " more";
        request.triggers.push_back("file change (" + what + ")");
        reloads_->request(std::move(request));  // the outcome is logged; nobody waits here
      });
  std::string error;
  if (!watcher_->start(error)) {
    logger::error("reload", error + "; files are not watched (reload with SIGHUP or POST /api/reload)");
    watcher_.reset();
    return;
  }
  watcher_->watch(reloader_->watched_folders());
}

void Engine::stop() {
  {
    std::lock_guard lock(prune_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  // The view first: it reads the registry and the reloader.
  cluster_view_.reset();
  // Reloads next: nothing may deploy while the engine stops.
  if (watcher_) watcher_->stop();
  if (reloads_) reloads_->stop();
  // Alerts next: stopping channels is not an outage to report.
  if (alerts_) alerts_->stop();
  alerts_.reset();
  prune_wake_.notify_all();
  if (pruner_.joinable()) pruner_.join();
  if (registry_) registry_->stop_all();
  registry_.reset();
  if (store_) store_->flush();
  store_.reset();
}

ControlResult Engine::redeploy(const std::string& name) {
  if (!registry_->snapshot(name)) return ControlResult::failure("no channel named '" + name + "'");
  ReloadRequest request;
  request.channels.insert(name);
  request.triggers.push_back("redeploy " + name);
  auto outcome = reloads_->run(std::move(request));
  for (const auto& change : outcome.changes) {
    if (change.channel != name || change.ok) continue;
    if (change.action == "kept")
      return ControlResult::failure(change.file + " is not valid; the running version stays:\n" + change.error);
    return ControlResult::failure(change.error);
  }
  if (!outcome.ok) return ControlResult::failure(outcome.error);
  return {};
}

PluginsReloadOutcome Engine::reload_plugins_now() {
  PluginsReloadOutcome outcome;
  outcome.plugins = plugins_.reload_directory();
  const auto changed = outcome.plugins.changed();
  if (changed.empty() || !registry_) return outcome;
  auto changed_type = [&](const std::string& type) { return std::binary_search(changed.begin(), changed.end(), type); };
  const PreflightSettings settings{config_.lua_limits, config_.data_dir};
  for (auto& channel : registry_->configs()) {
    bool affected = changed_type(channel.source.type);
    for (const auto& destination : channel.destinations) affected = affected || changed_type(destination.connector.type);
    if (!affected) continue;
    // Built by the new libraries first: a channel they refuse keeps running
    // on the old ones (its connectors hold them), and says why.
    Diagnostics problems;
    preflight_channel(channel, plugins_, settings, problems);
    if (!problems.empty()) {
      std::string why;
      for (const auto& d : problems) why += (why.empty() ? "" : "; ") + d.str();
      logger::error(channel.name, "stays on the previous version of its plugins: " + why);
      outcome.kept.push_back({channel.name, why});
      continue;
    }
    const std::string name = channel.name;
    auto result = registry_->redeploy(std::move(channel));
    if (result.ok) outcome.redeployed.push_back(name);
    else outcome.failed.push_back({name, result.error});
  }
  return outcome;
}

PluginsReloadOutcome Engine::reload_plugins(const std::string& trigger) {
  if (!reloads_) return reload_plugins_now();
  ReloadRequest request;
  request.plugins = true;
  request.triggers.push_back(trigger);
  auto reload = reloads_->run(std::move(request));
  std::lock_guard lock(plugins_outcome_mutex_);
  PluginsReloadOutcome outcome = plugins_outcome_;
  outcome.reload = std::move(reload);
  return outcome;
}

void Engine::prune_loop() {
  std::unique_lock lock(prune_mutex_);
  while (!prune_wake_.wait_for(lock, std::chrono::seconds(60), [&] { return stopping_; })) {
    lock.unlock();
    for (const auto& channel : registry_->configs()) {
      const auto& retention = channel.retention;
      if (!retention.max_age && !retention.max_count) continue;
      auto pruned = store_->prune(channel.name, retention.max_age, retention.max_count);
      if (pruned > 0) logger::info(channel.name, "retention pruned " + std::to_string(pruned) + " messages");
    }
    lock.lock();
  }
}

}  // namespace artery
