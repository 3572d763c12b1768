#include "cli/engine_settings.hpp"

#include <artery/http_server.hpp>

#include "log/logger.hpp"

#include <cstdio>

namespace artery::cli {

std::string engine_flags_error(const Arguments& args) {
  if (auto level = args.flag("--log-level")) {
    if (*level != "debug" && *level != "info" && *level != "warn" && *level != "error")
      return "--log-level takes debug, info, warn or error, not '" + *level + "'";
  }
  if (auto http = args.flag("--http"); http && !parse_http_listen(*http))
    return "--http takes an address such as 127.0.0.1:8080 or :8080, or off; not '" + *http + "'";
  return "";
}

std::optional<EngineConfig> engine_settings(const Arguments& args) {
  EngineConfig config;
  std::filesystem::path file;
  if (auto given = args.flag("--config")) file = *given;
  else if (std::filesystem::exists("artery.yaml")) file = "artery.yaml";
  if (!file.empty()) {
    Diagnostics diagnostics;
    auto loaded = load_engine_config(file, diagnostics);
    for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
    if (!loaded) return std::nullopt;
    config = *loaded;
  }
  if (auto v = args.flag("--channels")) config.channels_dir = *v;
  if (auto v = args.flag("--data")) config.data_dir = *v;
  if (auto v = args.flag("--http")) config.http = *v;
  if (auto v = args.flag("--plugins")) config.plugins_dir = *v;
  if (auto v = args.flag("--log-level")) config.log_level = *v;
  if (config.plugins_dir.empty()) config.plugins_dir = default_plugins_dir();
  if (config.log_level == "debug") logger::set_level(LogLevel::debug);
  else if (config.log_level == "warn") logger::set_level(LogLevel::warn);
  else if (config.log_level == "error") logger::set_level(LogLevel::error);
  else logger::set_level(LogLevel::info);
  return config;
}

}  // namespace artery::cli
