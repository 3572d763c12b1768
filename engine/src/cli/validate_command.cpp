// artery validate: every problem in the channel files, as file:line:col: message.
#include "cli/commands.hpp"
#include "cli/channel_files.hpp"
#include "log/logger.hpp"
#include "runtime/channel_preflight.hpp"
#include "runtime/engine.hpp"

#include <cstdio>

namespace artery::cli {

int validate_command(int argc, char** argv) {
  ChannelFiles files;
  if (int code = load_channel_files(argc, argv, "validate", files)) return code;
  auto& diagnostics = files.diagnostics;
  // A channel that reads well must also build: its scripts load and its
  // connectors accept their options, as `run` would find.
  std::vector<ChannelConfig> channels;
  const PreflightSettings settings{files.config.lua_limits, files.config.data_dir};
  for (auto& channel : files.channels) {
    const auto before = diagnostics.size();
    preflight_channel(channel, files.plugins, settings, diagnostics);
    for (auto i = before; i < diagnostics.size(); ++i) std::printf("%s\n", diagnostics[i].str().c_str());
    if (diagnostics.size() == before) channels.push_back(std::move(channel));
  }
  if (!diagnostics.empty()) {
    std::printf("%zu error%s; %zu channel%s valid\n", diagnostics.size(), diagnostics.size() == 1 ? "" : "s",
                channels.size(), channels.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%zu channel%s valid\n", channels.size(), channels.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace artery::cli
