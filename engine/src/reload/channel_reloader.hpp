// One reload of the channels folder, carried out for the ReloadCoordinator:
// read every channel file, find what changed since the engine last acted on it
// (ChannelFingerprint), check each changed or new channel completely before
// anything running is touched (the YAML against the plugins' schemas and
// across files, then what `artery validate` builds: scripts loaded, connectors
// created but not started), then act on the registry: changed -> redeploy,
// new -> deploy, deleted -> undeploy (its queued deliveries stay in the
// store), unchanged -> untouched. A channel that does not pass keeps running
// as it was; its problems go to the log, to its `last_reload` and to the
// failure sink (an alert event).
#pragma once
#include "config/channel_config.hpp"
#include "lua/script.hpp"
#include "reload/channel_fingerprint.hpp"
#include "reload/reload_outcome.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace artery {

class ChannelRegistry;
class PluginRegistry;

struct ChannelReloaderSettings {
  std::filesystem::path channels_dir;
  std::filesystem::path plugins_dir;
  std::filesystem::path data_dir;
  lua::Limits lua_limits;
  std::shared_ptr<const ClusterSettings> cluster;  // artery.yaml's `cluster:`; null: none
};

class ChannelReloader {
 public:
  // Told of every change that failed (an invalid file, a channel that did not start).
  using FailureSink = std::function<void(const ChannelChange& change)>;

  ChannelReloader(ChannelReloaderSettings settings, PluginRegistry& plugins, ChannelRegistry& channels,
                  FailureSink on_failure);

  // What the engine deployed (or kept disabled) at start, as loaded: the
  // base the first reload compares with. Files in the folder that are not
  // among them did not load; they are deployed once they are fixed.
  void adopt(const std::vector<ChannelConfig>& loaded);

  // One reload; called by one thread at a time (the coordinator's).
  ReloadOutcome run(const ReloadRequest& request);

  // The folders whose files the deployed channels are made of: the channels
  // folder, the plugins folder, each script's folder and the module paths.
  std::vector<std::filesystem::path> watched_folders() const;

  // The version each deployed channel runs, by name: the fingerprint of its
  // files as they were when it was (re)deployed, not as they are now. The
  // cluster view shows it, so a node that lags behind a deploy is visible.
  struct RunningVersion {
    ChannelFingerprint fingerprint;
    bool clustered = false;  // the definition has `cluster:`
  };
  std::map<std::string, RunningVersion> running_versions() const;

 private:
  struct Known {
    std::string name;  // "" when the file never loaded
    // The version the engine acts on (deployed, or disabled); none when the
    // file never loaded.
    std::optional<ChannelFingerprint> running;
    std::shared_ptr<const ChannelConfig> config;  // that version's definition
    std::optional<ChannelFingerprint> refused;  // the version last refused (reported once)
    bool deployed = false;
    std::vector<std::filesystem::path> folders;  // to watch
  };
  Known known_for(const ChannelConfig& config, ChannelFingerprint fingerprint, bool deployed) const;

  ChannelReloaderSettings settings_;
  PluginRegistry& plugins_;
  ChannelRegistry& channels_;
  FailureSink on_failure_;
  mutable std::mutex mutex_;  // known_ (watched_folders() may be called from elsewhere)
  std::map<std::filesystem::path, Known> known_;  // by the file's canonical path
};

}  // namespace artery
