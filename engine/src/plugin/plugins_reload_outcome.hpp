// What Engine::reload_plugins() did: the plugins folder read again, then the
// channels whose source or destination type changed redeployed onto the new
// libraries (each checked first: one the new library will not build keeps
// running on the old one).
#pragma once
#include "plugin/plugin_registry.hpp"

#include <string>
#include <vector>

namespace artery {

struct ChannelReloadProblem {
  std::string channel;
  std::string reason;
};

struct PluginsReloadOutcome {
  PluginReload plugins;
  std::vector<std::string> redeployed;       // now running on the new libraries
  std::vector<ChannelReloadProblem> kept;    // the new library refused their options: still on the old one
  std::vector<ChannelReloadProblem> failed;  // redeployed, but the new version failed to start
  bool ok() const { return plugins.ok() && kept.empty() && failed.empty(); }
};

}  // namespace artery
