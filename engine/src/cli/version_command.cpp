// artery version: what this engine is and which plugins it would load.
#include "cli/commands.hpp"
#include "cli/engine_settings.hpp"
#include "cli/usage.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <cstdio>

namespace artery::cli {

int version_command(int argc, char** argv) {
  auto args = parse_arguments(argc, argv, 2, {"--plugins"});
  if (!args.error.empty()) return usage_error("version", args.error);
  if (!args.positional.empty()) return usage_error("version", "unexpected argument '" + args.positional.front() + "'");
  // The list below is the output; the loader's "loaded ..." lines would repeat
  // it on stderr. Refusals (warnings) still show.
  logger::set_level(LogLevel::warn);
  PluginRegistry registry;
  register_builtin_plugins(registry);
  registry.load_directory(args.flag("--plugins").value_or(default_plugins_dir().string()));
  std::printf("artery %s (plugin API %u.%u)\n", kEngineVersion, kApiMajor, kApiMinor);
  std::printf("plugins:\n");
  for (const auto& plugin : registry.plugins()) {
    std::string roles;
    if (plugin->descriptor->create_source) roles += "source";
    if (plugin->descriptor->create_destination || plugin->file.empty())
      roles += roles.empty() ? "destination" : "+destination";
    std::printf("  %-10s %-8s %-19s %s\n", plugin->descriptor->name, plugin->descriptor->version, roles.c_str(),
                plugin->file.empty() ? "(built in)" : plugin->file.string().c_str());
  }
  return 0;
}

}  // namespace artery::cli
