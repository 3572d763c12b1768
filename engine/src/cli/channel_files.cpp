#include "cli/channel_files.hpp"

#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <cstdio>

namespace artery::cli {

int load_channel_files(int argc, char** argv, const char* command, ChannelFiles& out) {
  auto args = parse_arguments(argc, argv, 2, kEngineFlags, {"--verbose"});
  if (!args.error.empty()) {
    std::fprintf(stderr, "artery %s: %s\n", command, args.error.c_str());
    return 2;
  }
  auto config = engine_settings(args);
  if (!config) return 1;
  out.config = *config;
  out.verbose = args.flag("--verbose").has_value();
  logger::set_level(LogLevel::warn);  // plugin loading chatter is not the command's output
  register_builtin_plugins(out.plugins);
  out.plugins.load_directory(out.config.plugins_dir);

  std::vector<std::filesystem::path> paths(args.positional.begin(), args.positional.end());
  if (paths.empty()) paths.push_back(out.config.channels_dir);
  out.channels = load_channels(paths, out.plugins, out.diagnostics);
  for (const auto& d : out.diagnostics) std::printf("%s\n", d.str().c_str());
  return 0;
}

}  // namespace artery::cli
