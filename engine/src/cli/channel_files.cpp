#include "cli/channel_files.hpp"

#include "cli/usage.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <cstdio>
#include <string_view>

namespace artery::cli {
namespace {

// The switches of each command that reads channel files, beside the engine flags.
std::vector<std::string> switches_of(std::string_view command) {
  if (command == "test") return {"--verbose"};
  return {};
}

}  // namespace

int load_channel_files(int argc, char** argv, const char* command, ChannelFiles& out) {
  auto args = parse_arguments(argc, argv, 2, kEngineFlags, switches_of(command));
  if (!args.error.empty()) return usage_error(command, args.error);
  if (auto error = engine_flags_error(args); !error.empty()) return usage_error(command, error);
  auto config = engine_settings(args);
  if (!config) return 1;
  out.config = *config;
  out.verbose = args.flag("--verbose").has_value();
  logger::set_level(LogLevel::warn);  // plugin loading chatter is not the command's output
  register_builtin_plugins(out.plugins);
  out.plugins.load_directory(out.config.plugins_dir);

  std::vector<std::filesystem::path> paths(args.positional.begin(), args.positional.end());
  if (paths.empty()) paths.push_back(out.config.channels_dir);
  out.channels = load_channels(paths, out.plugins, out.diagnostics, out.config.cluster.get());
  for (const auto& d : out.diagnostics) std::printf("%s\n", d.str().c_str());
  return 0;
}

}  // namespace artery::cli
