// artery validate: every problem in the channel files, as file:line:col: message.
#include "cli/commands.hpp"
#include "cli/channel_files.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <cstdio>

namespace artery::cli {

int validate_command(int argc, char** argv) {
  ChannelFiles files;
  if (int code = load_channel_files(argc, argv, "validate", files)) return code;
  const auto& diagnostics = files.diagnostics;
  const auto& channels = files.channels;
  if (!diagnostics.empty()) {
    std::printf("%zu error%s; %zu channel%s valid\n", diagnostics.size(), diagnostics.size() == 1 ? "" : "s",
                channels.size(), channels.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%zu channel%s valid\n", channels.size(), channels.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace artery::cli
