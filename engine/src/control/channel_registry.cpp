#include "control/channel_registry.hpp"

#include "log/logger.hpp"
#include "runtime/module_paths.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

namespace artery {
namespace {

// Where operators' choices live: a key/value space no channel name can take
// ('@' is not allowed in names), one key per channel.
constexpr const char* kControlSpace = "@control";
constexpr const char* kStoppedByOperator = "stopped";
constexpr const char* kPausedByOperator = "paused";

}  // namespace

struct ChannelRegistry::Entry {
  std::mutex operation;  // one operation on this channel at a time
  mutable std::mutex guard;  // the fields below; held only to read or swap them
  ChannelConfig config;
  std::shared_ptr<ChannelRuntime> runtime;  // the last one built (kept after a stop for its counters)
  ChannelState state = ChannelState::stopped;
  std::string reason;
  std::optional<LastReload> last_reload;

  void set(ChannelState new_state, std::string why = {}) {
    std::lock_guard lock(guard);
    state = new_state;
    reason = std::move(why);
  }
};

ChannelRegistry::ChannelRegistry(RuntimeEnvironment base) : base_(std::move(base)) { base_.channels = this; }

ChannelRegistry::~ChannelRegistry() { stop_all(); }

std::shared_ptr<ChannelRegistry::Entry> ChannelRegistry::find(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

void ChannelRegistry::remember(const std::string& name, const std::string& choice) {
  if (!base_.store) return;
  // Durable before the operator is told it is done.
  std::promise<void> written;
  auto done = [&](bool, const std::string&) { written.set_value(); };
  if (choice.empty()) base_.store->erase_value(kControlSpace, name, done);
  else base_.store->put_value(kControlSpace, name, choice, done);
  written.get_future().wait();
}

ControlResult ChannelRegistry::start_locked(Entry& entry) {
  std::shared_ptr<ChannelRuntime> runtime;
  ChannelState state;
  {
    std::lock_guard lock(entry.guard);
    runtime = entry.runtime;
    state = entry.state;
  }
  if (state == ChannelState::started) return {};
  if (state == ChannelState::paused && runtime) {
    std::string why;
    if (!runtime->resume(why)) return ControlResult::failure(why);
    entry.set(ChannelState::started);
    return {};
  }
  RuntimeEnvironment env = base_;
  env.module_paths = module_paths_for(entry.config);
  entry.set(ChannelState::starting);
  // A fresh runtime for every start, published only once start() is done
  // with its fields: snapshots read it from other threads from then on
  // (until then they see the last one's counters).
  runtime = std::make_shared<ChannelRuntime>(entry.config, std::move(env));
  std::string why;
  const bool started = runtime->start(why);
  {
    std::lock_guard lock(entry.guard);
    entry.runtime = runtime;
    entry.state = started ? ChannelState::started : ChannelState::failed;
    entry.reason = started ? std::string{} : why;
  }
  if (started) return {};
  logger::error(entry.config.name, "not started: " + why);
  return ControlResult::failure(why);
}

void ChannelRegistry::stop_locked(Entry& entry) {
  std::shared_ptr<ChannelRuntime> runtime;
  {
    std::lock_guard lock(entry.guard);
    runtime = entry.runtime;
    if (entry.state == ChannelState::started || entry.state == ChannelState::paused)
      entry.state = ChannelState::stopping;  // routed messages see "not running" from now on
  }
  if (runtime) runtime->stop();
  std::lock_guard lock(entry.guard);
  if (entry.state != ChannelState::failed) entry.state = ChannelState::stopped;
}

std::vector<ControlResult> ChannelRegistry::deploy_all(std::vector<ChannelConfig> configs) {
  std::vector<ControlResult> results(configs.size());
  std::vector<std::pair<std::size_t, std::shared_ptr<Entry>>> added;
  {
    // Every channel is known before any starts, so that one starting early
    // can already route to one starting later (which answers "not running"
    // until it has started: the routed delivery is then retried).
    std::unique_lock lock(mutex_);
    for (std::size_t i = 0; i < configs.size(); ++i) {
      const std::string name = configs[i].name;
      if (channels_.count(name)) {
        results[i] = ControlResult::failure("channel " + name + " is already deployed");
        continue;
      }
      auto entry = std::make_shared<Entry>();
      entry->config = std::move(configs[i]);
      channels_.emplace(name, entry);
      added.emplace_back(i, entry);
    }
  }
  // Channels fed only by other channels start first: deliveries recovered
  // from the last run then find their targets running, rather than wait for a retry.
  std::stable_sort(added.begin(), added.end(), [](const auto& a, const auto& b) {
    return (a.second->config.source.type == "channel") > (b.second->config.source.type == "channel");
  });
  for (auto& [index, entry] : added) {
    std::lock_guard operation(entry->operation);
    const std::string& name = entry->config.name;
    const auto choice = base_.store ? base_.store->get_value(kControlSpace, name) : std::nullopt;
    if (choice == kStoppedByOperator) {
      entry->set(ChannelState::stopped, "stopped by an operator");
      logger::info(name, "stopped by an operator; not started");
      continue;
    }
    results[index] = start_locked(*entry);
    if (results[index].ok && choice == kPausedByOperator) {
      std::shared_ptr<ChannelRuntime> runtime;
      {
        std::lock_guard lock(entry->guard);
        runtime = entry->runtime;
      }
      runtime->pause();
      entry->set(ChannelState::paused, "paused by an operator");
    }
  }
  return results;
}

ControlResult ChannelRegistry::deploy(ChannelConfig config) {
  std::vector<ChannelConfig> one;
  one.push_back(std::move(config));
  return deploy_all(std::move(one)).front();
}

ControlResult ChannelRegistry::undeploy(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  {
    std::lock_guard operation(entry->operation);
    stop_locked(*entry);
  }
  std::unique_lock lock(mutex_);
  channels_.erase(name);
  logger::info(name, "undeployed (its queued deliveries stay in the store)");
  return {};
}

ControlResult ChannelRegistry::redeploy(ChannelConfig config) {
  auto entry = find(config.name);
  if (!entry) return ControlResult::failure("no channel named " + config.name);
  std::lock_guard operation(entry->operation);
  ChannelState before;
  std::shared_ptr<ChannelRuntime> old;
  {
    std::lock_guard lock(entry->guard);
    before = entry->state;
    old = entry->runtime;
  }
  if (before == ChannelState::started && old && old->state() == ChannelState::started)
    return swap_locked(*entry, std::move(old), std::move(config));
  // Not taking messages (stopped, paused, failed): nothing to keep open, so
  // stop what is left and start the new version.
  stop_locked(*entry);
  {
    std::lock_guard lock(entry->guard);
    entry->config = std::move(config);
  }
  // The operator's choice stands: a stopped channel stays stopped, a paused one paused.
  if (before == ChannelState::stopped) {
    entry->set(ChannelState::stopped, "stopped by an operator");
    return {};
  }
  auto result = start_locked(*entry);
  if (result.ok && before == ChannelState::paused) {
    std::shared_ptr<ChannelRuntime> runtime;
    {
      std::lock_guard lock(entry->guard);
      runtime = entry->runtime;
    }
    runtime->pause();
    entry->set(ChannelState::paused, "paused by an operator");
  }
  if (result.ok) logger::info(entry->config.name, "redeployed");
  return result;
}

ControlResult ChannelRegistry::swap_locked(Entry& entry, std::shared_ptr<ChannelRuntime> old, ChannelConfig config) {
  const std::string name = config.name;
  RuntimeEnvironment env = base_;
  env.module_paths = module_paths_for(config);
  const auto began = std::chrono::steady_clock::now();
  auto next = std::make_shared<ChannelRuntime>(config, std::move(env));
  std::string why;
  if (!next->start_beside(old, why)) {
    // Validated, and still it did not start (a port taken, a destination
    // that refused its options): the running version stays as it was.
    logger::error(name, "redeploy failed, the running version stays: " + why);
    return ControlResult::failure("the new version did not start, the running version stays: " + why);
  }
  {
    // From here routed messages and snapshots go to the new version (whose
    // counters include the old one's until take_over()).
    std::lock_guard lock(entry.guard);
    entry.config = std::move(config);
    entry.runtime = next;
    entry.state = ChannelState::started;
    entry.reason.clear();
  }
  old->stop();  // its source first (answers what is in flight), then its destinations
  next->take_over();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  logger::info(name, "redeployed (swapped in " + std::to_string(ms.count()) + " ms, the port kept open)");
  return {};
}

ControlResult ChannelRegistry::reload_scripts(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  std::shared_ptr<ChannelRuntime> runtime;
  {
    std::lock_guard lock(entry->guard);
    runtime = entry->runtime;
  }
  if (!runtime) return {};
  std::string why;
  if (!runtime->reload_scripts(why)) {
    logger::error(name, "script reload failed, the running scripts stay: " + why);
    return ControlResult::failure(why);
  }
  return {};
}

ControlResult ChannelRegistry::start(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  auto result = start_locked(*entry);
  if (result.ok) remember(name, "");
  return result;
}

ControlResult ChannelRegistry::stop(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  stop_locked(*entry);
  entry->set(ChannelState::stopped, "stopped by an operator");
  remember(name, kStoppedByOperator);
  return {};
}

ControlResult ChannelRegistry::pause(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  std::shared_ptr<ChannelRuntime> runtime;
  ChannelState state;
  {
    std::lock_guard lock(entry->guard);
    runtime = entry->runtime;
    state = entry->state;
  }
  if (state == ChannelState::paused) return {};
  if (state != ChannelState::started || !runtime)
    return ControlResult::failure("channel " + name + " is " + std::string(to_string(state)) + ", not started");
  runtime->pause();
  entry->set(ChannelState::paused, "paused by an operator");
  remember(name, kPausedByOperator);
  return {};
}

ControlResult ChannelRegistry::resume(const std::string& name) {
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  ChannelState state;
  {
    std::lock_guard lock(entry->guard);
    state = entry->state;
  }
  if (state == ChannelState::started) return {};
  if (state != ChannelState::paused)
    return ControlResult::failure("channel " + name + " is " + std::string(to_string(state)) + ", not paused");
  auto result = start_locked(*entry);
  if (result.ok) remember(name, "");
  return result;
}

std::optional<ChannelSnapshot> ChannelRegistry::snapshot(const std::string& name) const {
  auto entry = find(name);
  if (!entry) return std::nullopt;
  std::optional<StoredCounters> stored;
  return snapshot_of(*entry, stored);
}

ChannelSnapshot ChannelRegistry::snapshot_of(Entry& entry, std::optional<StoredCounters>& stored) const {
  ChannelSnapshot out;
  std::shared_ptr<ChannelRuntime> runtime;
  std::vector<std::pair<std::string, std::string>> types;  // destination name, connector type
  {
    std::lock_guard lock(entry.guard);
    out.name = entry.config.name;
    out.description = entry.config.description;
    out.file = entry.config.file;
    out.source_type = entry.config.source.type;
    out.state = entry.state;
    out.reason = entry.reason;
    out.last_reload = entry.last_reload;
    runtime = entry.runtime;
    for (const auto& dest : entry.config.destinations) types.emplace_back(dest.name, dest.connector.type);
  }
  if (runtime) {
    // Atomics only: never waits for the channel's work.
    out.counters = runtime->counters();
    for (const auto& [dest, counters] : runtime->destination_counters()) out.destinations.push_back({dest, {}, counters});
    out.connectors = runtime->connector_metrics();
    out.processing = runtime->processing_time();
  } else if (base_.store) {
    // Never started in this run (stopped by an operator): the stored totals,
    // read once for all such channels of one snapshot.
    if (!stored) stored = base_.store->counters();
    auto& mine = (*stored)[out.name];
    out.counters = mine[""];
    for (const auto& [dest, counters] : mine)
      if (!dest.empty()) out.destinations.push_back({dest, {}, counters});
  }
  for (auto& dest : out.destinations)
    for (const auto& [name, type] : types)
      if (name == dest.name) dest.type = type;
  return out;
}

std::vector<ChannelSnapshot> ChannelRegistry::snapshot() const {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, entry] : channels_) entries.push_back(entry);
  }
  std::vector<ChannelSnapshot> out;
  out.reserve(entries.size());
  std::optional<StoredCounters> stored;
  for (const auto& entry : entries) out.push_back(snapshot_of(*entry, stored));
  return out;
}

std::vector<ChannelConfig> ChannelRegistry::configs() const {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, entry] : channels_) entries.push_back(entry);
  }
  std::vector<ChannelConfig> out;
  for (const auto& entry : entries) {
    std::lock_guard lock(entry->guard);
    out.push_back(entry->config);
  }
  return out;
}

void ChannelRegistry::record_reload(const std::string& name, LastReload reload) {
  auto entry = find(name);
  if (!entry) return;
  std::lock_guard lock(entry->guard);
  entry->last_reload = std::move(reload);
}

void ChannelRegistry::stop_all() {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, entry] : channels_) entries.push_back(entry);
  }
  // In parallel: each waits for its own in-flight work.
  std::vector<std::thread> stoppers;
  for (auto& entry : entries)
    stoppers.emplace_back([&entry, this] {
      std::lock_guard operation(entry->operation);
      stop_locked(*entry);
    });
  for (auto& t : stoppers) t.join();
}

ChannelDirectory::Lookup ChannelRegistry::route(const std::string& name, std::string content, RouteOrigin origin,
                                                std::function<void(Disposition)> done) {
  auto entry = find(name);
  if (!entry) return Lookup::unknown;
  std::shared_ptr<ChannelRuntime> target;
  {
    std::lock_guard lock(entry->guard);
    if (entry->state != ChannelState::started) return Lookup::not_running;
    target = entry->runtime;
  }
  if (!target || target->state() != ChannelState::started) return Lookup::not_running;
  Message message;
  message.content = std::move(content);
  target->route_in(std::move(message), std::move(origin), std::move(done));
  return Lookup::submitted;
}

std::vector<std::string> ChannelRegistry::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : channels_) out.push_back(name);
  return out;
}

ControlResult ChannelRegistry::purge_queue(const std::string& name, const std::string& destination,
                                           const std::string& reason, std::int64_t& purged) {
  purged = 0;
  auto entry = find(name);
  if (!entry) return ControlResult::failure("no channel named " + name);
  std::lock_guard operation(entry->operation);
  std::shared_ptr<ChannelRuntime> runtime;
  std::vector<std::string> names;
  {
    std::lock_guard lock(entry->guard);
    runtime = entry->runtime;
    for (const auto& dest : entry->config.destinations) names.push_back(dest.name);
  }
  const auto no_such = ControlResult::failure("channel " + name + " has no destination named " + destination);
  if (runtime) {
    purged = runtime->purge_queued(destination, reason);
    if (purged >= 0) return {};
    purged = 0;
    return no_such;
  }
  // Never started in this run: the queue and its counters are only in the store.
  if (!destination.empty() && std::find(names.begin(), names.end(), destination) == names.end()) return no_such;
  if (!base_.store) return {};
  for (const auto& stored : names) {
    if (!destination.empty() && stored != destination) continue;
    const std::int64_t n = base_.store->purge_queued(name, stored, reason);
    if (n == 0) continue;
    Counters delta;
    delta.queued = -n;
    delta.errored = n;
    base_.store->add_counters({name, stored, delta});
    base_.store->add_counters({name, "", delta});
    purged += n;
  }
  return {};
}

}  // namespace artery
