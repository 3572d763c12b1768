// What `artery run` builds for a channel, built once without starting it: its
// scripts loaded and run to their top level (as run loads them, with the same
// limits and require() paths), its connectors created by their plugins but not
// started (no port bound, no folder polled). Every failure is a diagnostic, so
// `artery validate` refuses what `run` would refuse.
#pragma once
#include "config/channel_config.hpp"
#include "lua/script.hpp"
#include "plugin/plugin_registry.hpp"

#include <filesystem>

namespace artery {

struct PreflightSettings {
  lua::Limits lua_limits;
  std::filesystem::path data_dir;  // for ${data_dir} in lua destinations' directories
};

void preflight_channel(const ChannelConfig& channel, const PluginRegistry& plugins,
                       const PreflightSettings& settings, Diagnostics& diagnostics);

}  // namespace artery
