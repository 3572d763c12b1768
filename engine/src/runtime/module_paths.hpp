// Where require() looks for a channel's shared Lua.
#pragma once
#include "config/channel_config.hpp"

#include <filesystem>
#include <vector>

namespace artery {

// scripts/lib beside the channel's folder and beside its script, and the
// script's own folder; only the ones that exist, each once.
std::vector<std::filesystem::path> module_paths_for(const ChannelConfig& channel);

}  // namespace artery
