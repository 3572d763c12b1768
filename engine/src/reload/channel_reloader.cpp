#include "reload/channel_reloader.hpp"

#include "clock/unix_time.hpp"
#include "control/channel_registry.hpp"
#include "log/logger.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/channel_preflight.hpp"
#include "runtime/module_paths.hpp"

#include <algorithm>
#include <set>

namespace artery {
namespace {

namespace fs = std::filesystem;

// The one spelling of a file the reload compares by.
fs::path file_key(const fs::path& file) {
  std::error_code ec;
  auto out = fs::weakly_canonical(file, ec);
  return ec ? fs::absolute(file, ec).lexically_normal() : out;
}

std::vector<fs::path> channel_files(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const auto ext = entry.path().extension();
    if ((ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec)) out.push_back(file_key(entry.path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string lines(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += (out.empty() ? "" : "\n") + d.str();
  return out;
}

// What a reload does to one file's channel.
struct Step {
  enum class Kind { deploy, redeploy, scripts, undeploy, refuse, restore };
  Kind kind;
  fs::path file;
  std::string name;      // the channel acted on (for undeploy: the running one)
  const ChannelConfig* config = nullptr;
  ChannelFingerprint fingerprint;
  std::string error;     // refuse
  std::string why;       // undeploy: "file deleted", "disabled", "renamed to x"
};

}  // namespace

ChannelReloader::ChannelReloader(ChannelReloaderSettings settings, PluginRegistry& plugins,
                                 ChannelRegistry& channels, FailureSink on_failure)
    : settings_(std::move(settings)), plugins_(plugins), channels_(channels), on_failure_(std::move(on_failure)) {}

ChannelReloader::Known ChannelReloader::known_for(const ChannelConfig& config, ChannelFingerprint fingerprint,
                                                  bool deployed) const {
  Known known;
  known.name = config.name;
  known.deployed = deployed;
  for (const auto& file : fingerprint.files) known.folders.push_back(file.parent_path());
  for (const auto& folder : module_paths_for(config)) known.folders.push_back(folder);
  known.running = std::move(fingerprint);
  known.config = std::make_shared<const ChannelConfig>(config);
  return known;
}

void ChannelReloader::adopt(const std::vector<ChannelConfig>& loaded) {
  std::lock_guard lock(mutex_);
  known_.clear();
  for (const auto& config : loaded) {
    const bool deployed = config.enabled && channels_.snapshot(config.name).has_value();
    known_[file_key(config.file)] = known_for(config, ChannelFingerprint::of(config.file, &config), deployed);
  }
  for (const auto& file : channel_files(settings_.channels_dir)) {
    if (known_.count(file)) continue;
    Known refused;  // did not load at start: reported then
    refused.refused = ChannelFingerprint::of(file, nullptr);
    known_[file] = std::move(refused);
  }
}

std::vector<fs::path> ChannelReloader::watched_folders() const {
  std::set<fs::path> out{file_key(settings_.channels_dir)};
  if (!settings_.plugins_dir.empty()) out.insert(file_key(settings_.plugins_dir));
  std::lock_guard lock(mutex_);
  for (const auto& [file, known] : known_)
    for (const auto& folder : known.folders) out.insert(file_key(folder));
  return {out.begin(), out.end()};
}

std::map<std::string, ChannelReloader::RunningVersion> ChannelReloader::running_versions() const {
  std::map<std::string, RunningVersion> out;
  std::lock_guard lock(mutex_);
  for (const auto& [file, known] : known_)
    if (known.deployed && known.running && !known.name.empty())
      out[known.name] = {*known.running, known.config && known.config->cluster.has_value()};
  return out;
}

ReloadOutcome ChannelReloader::run(const ReloadRequest& request) {
  ReloadOutcome outcome;  // the plugins (request.plugins) are the engine's part, before this
  if (!request.folder && request.channels.empty()) return outcome;

  // Every file hashed before it is read for use: a file saved while this
  // reload runs then differs from what is recorded, and the next reload (its
  // save queued one) takes it. Never the other way round, which would lose it.
  std::map<fs::path, std::uint64_t> definitions;
  for (const auto& file : channel_files(settings_.channels_dir))
    definitions[file] = ChannelFingerprint::of(file, nullptr).definition;
  // The whole folder, as start-up reads it: duplicate names and routes
  // between channels are checked across files.
  Diagnostics diagnostics;
  auto configs = load_channels({settings_.channels_dir}, plugins_, diagnostics, settings_.cluster.get());
  std::map<fs::path, ChannelConfig*> valid;
  for (auto& config : configs) valid[file_key(config.file)] = &config;
  std::map<fs::path, Diagnostics> problems;
  for (const auto& d : diagnostics) problems[file_key(d.file)].push_back(d);
  const auto present = channel_files(settings_.channels_dir);

  std::unique_lock lock(mutex_);
  std::vector<Step> steps;
  std::set<std::string> forced_seen;
  // Names running from files that stay: a changed or new file may not take one.
  std::map<std::string, fs::path> owners;
  for (const auto& [file, known] : known_)
    if (known.deployed && std::binary_search(present.begin(), present.end(), file)) owners[known.name] = file;

  // The scripts too, all of them before any is loaded to be checked.
  std::map<fs::path, ChannelFingerprint> fingerprints;
  for (const auto& file : present) {
    auto it = known_.find(file);
    const Known* known = it == known_.end() ? nullptr : &it->second;
    ChannelConfig* config = valid.count(file) ? valid[file] : nullptr;
    const auto defined = definitions.find(file);
    const std::uint64_t definition = defined == definitions.end() ? 0 : defined->second;
    // The same YAML refused for what another file did (a route to a channel
    // that went) has the running version's scripts.
    const ChannelConfig* basis = config;
    if (!basis && known && known->config && definition == known->running->definition) basis = known->config.get();
    ChannelFingerprint fingerprint = ChannelFingerprint::of(file, basis);
    fingerprint.definition = definition;
    fingerprints[file] = std::move(fingerprint);
  }

  for (const auto& file : present) {
    auto it = known_.find(file);
    const Known* known = it == known_.end() ? nullptr : &it->second;
    const bool forced = known && known->deployed && request.channels.count(known->name);
    if (forced) forced_seen.insert(known->name);
    if (!request.folder && !forced) continue;
    ChannelConfig* config = valid.count(file) ? valid[file] : nullptr;
    const ChannelFingerprint& fingerprint = fingerprints[file];
    const std::string running_name = known ? known->name : "";
    const std::string name = config ? config->name : running_name.empty() ? file.stem().string() : running_name;

    if (!forced && known && known->running && fingerprint == *known->running) {
      if (known->refused)
        steps.push_back({Step::Kind::restore, file, name, known->config.get(),
                         fingerprint, {}, {}});
      else ++outcome.unchanged;
      continue;
    }
    if (!forced && known && known->refused && fingerprint == *known->refused) {
      ++outcome.unchanged;  // refused before and not changed since: already reported
      continue;
    }
    std::string error;
    if (auto p = problems.find(file); p != problems.end()) error = lines(p->second);
    else if (!config) {
      // Its problems are in another file (a script that does not compile):
      // read alone again, the channel says which.
      Diagnostics own;
      load_channel(file, plugins_, own, settings_.cluster.get());
      error = own.empty() ? file.string() + ": the file did not load" : lines(own);
    }
    if (error.empty() && config->enabled) {
      auto owner = owners.find(config->name);
      if (owner != owners.end() && owner->second != file)
        error = file.string() + ": duplicate channel name '" + config->name + "' (already running from " +
                owner->second.string() + ")";
    }
    if (error.empty() && config->enabled) {
      // Everything `artery validate` builds, before anything running is touched.
      Diagnostics built;
      preflight_channel(*config, plugins_, {settings_.lua_limits, settings_.data_dir}, built);
      error = lines(built);
    }
    if (!error.empty()) {
      steps.push_back({Step::Kind::refuse, file, running_name.empty() ? name : running_name, config, fingerprint,
                       error, {}});
      continue;
    }
    const bool deployed = known && known->deployed;
    if (deployed && (!config->enabled || config->name != running_name)) {
      steps.push_back({Step::Kind::undeploy, file, running_name, config, fingerprint, {},
                       !config->enabled ? "disabled in its file" : "its file now defines " + config->name});
      if (config->enabled) steps.push_back({Step::Kind::deploy, file, config->name, config, fingerprint, {}, {}});
      continue;
    }
    if (!config->enabled) {
      steps.push_back({Step::Kind::restore, file, config->name, config, fingerprint, {}, "disabled"});
      continue;
    }
    if (!deployed) {
      steps.push_back({Step::Kind::deploy, file, config->name, config, fingerprint, {}, {}});
      continue;
    }
    // Same channel, new version. Only the scripts differ: the runtime swaps
    // its Lua states alone (ChannelRegistry::reload_scripts).
    const bool scripts_only = !forced && fingerprint.definition == known->running->definition;
    steps.push_back({scripts_only ? Step::Kind::scripts : Step::Kind::redeploy, file, config->name, config,
                     fingerprint, {}, {}});
  }
  if (request.folder) {
    for (const auto& [file, known] : known_) {
      if (std::binary_search(present.begin(), present.end(), file)) continue;
      if (known.deployed) steps.push_back({Step::Kind::undeploy, file, known.name, nullptr, {}, {}, "file deleted"});
      else steps.push_back({Step::Kind::undeploy, file, known.name, nullptr, {}, {}, "gone"});
    }
  }
  for (const auto& name : request.channels) {
    if (forced_seen.count(name)) continue;
    ChannelChange change{name, "", "kept", false, {}};
    for (const auto& [file, known] : known_)
      if (known.name == name) change.file = file.string();
    change.error = change.file.empty() ? "no channel file defines '" + name + "'"
                                       : change.file + " is gone; the running version of " + name +
                                             " stays (a reload of the folder undeploys it)";
    outcome.changes.push_back(change);
  }

  // Act: undeploys first (a renamed channel frees its port), then
  // redeploys, then the new channels together so routes between them resolve.
  const std::int64_t now = unix_time_ms();
  auto refuse = [&](const Step& step) {
    Known& known = known_[step.file];
    known.refused = step.fingerprint;
    const bool running = known.deployed;
    ChannelChange change{step.name, step.file.string(), running ? "kept" : "not deployed", false, step.error};
    for (std::size_t at = 0; at < step.error.size();) {
      auto end = step.error.find('\n', at);
      if (end == std::string::npos) end = step.error.size();
      logger::error("reload", step.error.substr(at, end - at));
      at = end + 1;
    }
    logger::error("reload", step.file.string() + " is not valid; " +
                                (running ? "the running version of " + step.name + " stays"
                                         : "channel " + step.name + " not deployed"));
    if (running) channels_.record_reload(known.name, {now, false, step.error});
    outcome.changes.push_back(change);
  };
  std::vector<ChannelConfig> to_deploy;
  std::vector<const Step*> deploy_steps;
  for (const auto& step : steps) {
    switch (step.kind) {
      case Step::Kind::refuse:
        refuse(step);
        break;
      case Step::Kind::restore: {
        Known& known = known_[step.file];
        const bool was_refused = known.refused.has_value();
        known = known_for(*step.config, step.fingerprint, known.deployed && step.why != "disabled");
        if (step.why == "disabled") {
          outcome.changes.push_back({step.name, step.file.string(), "not deployed", true, "disabled in its file"});
          logger::info("reload", step.name + " is disabled in " + step.file.string() + "; not deployed");
        } else if (was_refused) {
          channels_.record_reload(step.name, {now, true, {}});
          outcome.changes.push_back({step.name, step.file.string(), "restored", true, {}});
          logger::info("reload", step.file.string() + " is back to the running version of " + step.name);
        }
        break;
      }
      case Step::Kind::undeploy: {
        if (step.why == "gone") {
          known_.erase(step.file);
          break;
        }
        auto result = channels_.undeploy(step.name);
        logger::info("reload", step.name + " undeployed (" + step.why + "); its queued deliveries stay in the store");
        outcome.changes.push_back({step.name, step.file.string(), "undeployed", result.ok, result.error});
        if (step.why == "file deleted") known_.erase(step.file);
        else if (step.config && !step.config->enabled) known_[step.file] = known_for(*step.config, step.fingerprint, false);
        else known_[step.file].deployed = false;  // renamed: the deploy step below records the new one
        break;
      }
      case Step::Kind::redeploy:
      case Step::Kind::scripts: {
        // Only the scripts changed: their Lua states are swapped in place
        // (source, connections and queues untouched).
        auto result = step.kind == Step::Kind::scripts ? channels_.reload_scripts(step.name)
                                                       : channels_.redeploy(*step.config);
        const std::string action = step.kind == Step::Kind::scripts ? "scripts reloaded" : "redeployed";
        channels_.record_reload(step.name, {now, result.ok, result.error});
        outcome.changes.push_back({step.name, step.file.string(), action, result.ok, result.error});
        if (result.ok) {
          logger::info("reload", step.name + " " + action + " (" +
                                     (step.kind == Step::Kind::scripts ? "its scripts changed" : "its file changed") +
                                     ")");
        } else {
          logger::error("reload", step.name + " " + action + " but did not start: " + result.error);
        }
        // The new definition is what runs (or failed to start) now.
        known_[step.file] = known_for(*step.config, step.fingerprint, true);
        break;
      }
      case Step::Kind::deploy:
        to_deploy.push_back(*step.config);
        deploy_steps.push_back(&step);
        break;
    }
  }
  if (!to_deploy.empty()) {
    auto results = channels_.deploy_all(std::move(to_deploy));
    for (std::size_t i = 0; i < results.size(); ++i) {
      const Step& step = *deploy_steps[i];
      channels_.record_reload(step.name, {now, results[i].ok, results[i].error});
      outcome.changes.push_back({step.name, step.file.string(), "deployed", results[i].ok, results[i].error});
      if (results[i].ok) logger::info("reload", step.name + " deployed (new file " + step.file.string() + ")");
      else logger::error("reload", step.name + " deployed but did not start: " + results[i].error);
      known_[step.file] = known_for(*step.config, step.fingerprint, true);
    }
  }
  lock.unlock();

  for (const auto& change : outcome.changes) {
    if (change.ok) continue;
    outcome.ok = false;
    outcome.error += (outcome.error.empty() ? "" : "\n") + change.error;
    if (on_failure_) on_failure_(change);
  }
  return outcome;
}

}  // namespace artery
