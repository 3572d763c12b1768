#include "runtime/engine.hpp"

#include "log/logger.hpp"
#include "runtime/channel_destination.hpp"
#include "runtime/lua_destination.hpp"

#include <algorithm>

namespace artery {

void register_builtin_plugins(PluginRegistry& registry) {
  registry.add_builtin(lua_destination_descriptor());
  registry.add_builtin(channel_plugin_descriptor());
}

std::vector<std::filesystem::path> module_paths_for(const ChannelConfig& channel) {
  std::vector<std::filesystem::path> paths;
  auto add = [&](const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) return;
    auto canonical = std::filesystem::weakly_canonical(p, ec);
    if (std::find(paths.begin(), paths.end(), canonical) == paths.end()) paths.push_back(canonical);
  };
  if (!channel.script.empty()) {
    add(channel.script.parent_path() / "lib");
    add(channel.script.parent_path());
  }
  add(channel.file.parent_path() / ".." / "scripts" / "lib");
  add(channel.file.parent_path() / "scripts" / "lib");
  return paths;
}

Engine::Engine(EngineConfig config) : config_(std::move(config)) { register_builtin_plugins(plugins_); }

Engine::~Engine() { stop(); }

bool Engine::start(std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    error = "cannot create data directory " + config_.data_dir.string() + ": " + ec.message();
    return false;
  }
  store_ = MessageStore::open(config_.data_dir / "artery.db", config_.durability, error);
  if (!store_) return false;
  plugins_.load_directory(config_.plugins_dir);

  Diagnostics diagnostics;
  auto configs = load_channels({config_.channels_dir}, plugins_, diagnostics);
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
  // Every channel is built and listed before any starts, so that one starting
  // early can already route to one starting later (which answers "not running"
  // until it has started: the routed delivery is then retried).
  for (auto& channel : configs) {
    if (!channel.enabled) {
      logger::info(channel.name, "disabled; not deployed");
      continue;
    }
    RuntimeEnvironment env;
    env.store = store_.get();
    env.plugins = &plugins_;
    env.data_dir = config_.data_dir;
    env.lua_limits = config_.lua_limits;
    env.module_paths = module_paths_for(channel);
    env.channels = this;
    channels_.push_back(std::make_unique<ChannelRuntime>(std::move(channel), std::move(env)));
  }
  {
    std::unique_lock lock(directory_mutex_);
    for (auto& runtime : channels_) directory_[runtime->config().name] = runtime.get();
  }
  // Channels fed only by other channels start first: deliveries recovered
  // from the last run then find their targets running, rather than wait for a retry.
  for (bool routed_only : {true, false}) {
    for (auto& runtime : channels_) {
      if ((runtime->config().source.type == "channel") != routed_only) continue;
      std::string why;
      if (!runtime->start(why)) {
        logger::error(runtime->config().name, "not started: " + why);
        start_failures_.push_back({runtime->config().name, why});
      }
    }
  }
  pruner_ = std::thread([this] { prune_loop(); });
  return true;
}

void Engine::stop() {
  {
    std::lock_guard lock(prune_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  prune_wake_.notify_all();
  if (pruner_.joinable()) pruner_.join();
  // Channels stop in parallel: each waits for its own in-flight work.
  std::vector<std::thread> stoppers;
  for (auto& channel : channels_) stoppers.emplace_back([&channel] { channel->stop(); });
  for (auto& t : stoppers) t.join();
  {
    std::unique_lock lock(directory_mutex_);
    directory_.clear();
  }
  channels_.clear();
  if (store_) store_->flush();
  store_.reset();
}

ChannelDirectory::Lookup Engine::route(const std::string& name, std::string content, RouteOrigin origin,
                                       std::function<void(Disposition)> done) {
  ChannelRuntime* target = nullptr;
  {
    std::shared_lock lock(directory_mutex_);
    auto it = directory_.find(name);
    if (it == directory_.end()) return Lookup::unknown;
    target = it->second;
  }
  // The runtime outlives every route into it: channels stop (their delivery
  // threads with them) before any is destroyed.
  if (target->state() != ChannelState::started) return Lookup::not_running;
  Message message;
  message.content = std::move(content);
  target->route_in(std::move(message), std::move(origin), std::move(done));
  return Lookup::submitted;
}

std::vector<std::string> Engine::names() const {
  std::shared_lock lock(directory_mutex_);
  std::vector<std::string> out;
  for (const auto& [name, runtime] : directory_) out.push_back(name);
  return out;
}

void Engine::prune_loop() {
  std::unique_lock lock(prune_mutex_);
  while (!prune_wake_.wait_for(lock, std::chrono::seconds(60), [&] { return stopping_; })) {
    lock.unlock();
    for (auto& channel : channels_) {
      const auto& retention = channel->config().retention;
      if (!retention.max_age && !retention.max_count) continue;
      auto pruned = store_->prune(channel->config().name, retention.max_age, retention.max_count);
      if (pruned > 0) logger::info(channel->config().name, "retention pruned " + std::to_string(pruned) + " messages");
    }
    lock.lock();
  }
}

}  // namespace artery
