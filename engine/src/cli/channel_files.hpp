// The channels a command works on: the paths given, or the channels
// directory, checked against the plugins the engine would load.
#pragma once
#include "cli/engine_settings.hpp"
#include "plugin/plugin_registry.hpp"

namespace artery::cli {

struct ChannelFiles {
  EngineConfig config;
  PluginRegistry plugins;
  std::vector<ChannelConfig> channels;  // the valid ones
  Diagnostics diagnostics;              // already printed to stdout
  bool verbose = false;                 // `artery test --verbose`: show what scripts log
};

// Parses `artery <command> [PATH...] [engine flags]` (and --verbose for
// `test`). Returns the exit code to stop with (2: bad usage, 1: bad
// artery.yaml), or 0 to go on with `out`. --help never gets here: main()
// answers it for every command.
int load_channel_files(int argc, char** argv, const char* command, ChannelFiles& out);

}  // namespace artery::cli
