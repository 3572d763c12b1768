// Engine settings: artery.yaml, overridden by command-line flags.
#pragma once
#include "alerts/alert_config.hpp"
#include "config/diagnostic.hpp"
#include "store/message_store.hpp"
#include "lua/script.hpp"

#include <artery/tls_settings.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace artery {

struct ClusterSettings;  // cluster/cluster_settings.hpp

// artery.yaml's `admin:` block: how the admin API treats logins.
struct AdminSettings {
  std::chrono::milliseconds session_idle = std::chrono::hours(8);       // a session unused this long ends
  std::chrono::milliseconds session_absolute = std::chrono::hours(24);  // and none lasts longer than this
};

// artery.yaml's `reload:` block (docs/reload.md).
struct ReloadSettings {
  bool watch = true;  // inotify on the channels, scripts and plugins folders
  std::chrono::milliseconds debounce{100};  // quiet this long after a change before reloading
};

struct EngineConfig {
  std::filesystem::path channels_dir = "channels";
  std::filesystem::path data_dir = "data";
  std::filesystem::path plugins_dir;  // empty: <dir of the binary>/plugins
  std::string http = "127.0.0.1:8080";
  TlsSettings http_tls;  // `http: {listen: ..., tls: {...}}`: the admin API and console over HTTPS
  Durability durability = Durability::normal;
  lua::Limits lua_limits;
  std::string log_level = "info";
  AdminSettings admin;
  AlertsConfig alerts;
  ReloadSettings reload;  // `alerts:` (docs/alerts.md); no rules: no alerting
  // GET /metrics without logging in (for Prometheus scrapers); otherwise it
  // needs the viewer role like the rest of the admin API.
  bool metrics_public = false;
  // `storage:` (docs/security.md, "Encryption at rest"); key_file "": <data>/artery.key.
  StoreEncryption storage;
  // `cluster:` (docs/cluster.md): null on a single-node engine, which then
  // never touches NATS.
  std::shared_ptr<const ClusterSettings> cluster;
};

// Reads artery.yaml (all keys optional). nullopt with diagnostics on error.
std::optional<EngineConfig> load_engine_config(const std::filesystem::path& file, Diagnostics& diagnostics);

}  // namespace artery
