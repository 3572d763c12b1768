// artery validate: every problem in the channel files, as file:line:col: message.
#include "cli/commands.hpp"
#include "cli/engine_settings.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <cstdio>

namespace artery::cli {

int validate_command(int argc, char** argv) {
  auto args = parse_arguments(argc, argv, 2, kEngineFlags);
  if (!args.error.empty()) {
    std::fprintf(stderr, "artery validate: %s\n", args.error.c_str());
    return 2;
  }
  auto config = engine_settings(args);
  if (!config) return 1;
  logger::set_level(LogLevel::warn);
  PluginRegistry registry;
  register_builtin_plugins(registry);
  registry.load_directory(config->plugins_dir);

  std::vector<std::filesystem::path> paths;
  for (const auto& p : args.positional) paths.emplace_back(p);
  if (paths.empty()) paths.push_back(config->channels_dir);
  Diagnostics diagnostics;
  auto channels = load_channels(paths, registry, diagnostics);
  for (const auto& d : diagnostics) std::printf("%s\n", d.str().c_str());
  if (!diagnostics.empty()) {
    std::printf("%zu error%s; %zu channel%s valid\n", diagnostics.size(), diagnostics.size() == 1 ? "" : "s",
                channels.size(), channels.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%zu channel%s valid\n", channels.size(), channels.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace artery::cli
