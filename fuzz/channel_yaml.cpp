// YAML channel loader (engine/src/config) and the rest of `artery validate`:
// the input is one channel file, loaded against the real plugins' option
// schemas (the fuzz build's own plugins folder) and, when it reads well,
// preflighted as validate does (scripts loaded, connectors created but not
// started). Invariants: a channel refused has a diagnostic saying why, and
// every diagnostic names the file.
#include "fuzz_check.hpp"

#include "config/channel_config.hpp"
#include "log/logger.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/channel_preflight.hpp"
#include "runtime/engine.hpp"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace artery;

namespace {

// The folder the channel file is written to (its relative paths resolve
// here), and the plugins, set up once and removed at exit.
struct Validator {
  fs::path dir = fs::temp_directory_path() / ("artery-fuzz-yaml-" + std::to_string(getpid()));
  fs::path file = dir / "channel.yaml";
  PluginRegistry plugins;
  PreflightSettings settings;

  Validator() {
    logger::set_level(LogLevel::error);
    fs::remove_all(dir);
    fs::create_directories(dir / "data");
    register_builtin_plugins(plugins);
    plugins.load_directory(ARTERY_PLUGIN_DIR);
    settings.lua_limits.instructions = 1'000'000;
    settings.data_dir = dir / "data";
  }
  ~Validator() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Validator& validator() {
  static Validator instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Validator& v = validator();
  {
    std::ofstream out(v.file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  Diagnostics diagnostics;
  auto channel = load_channel(v.file, v.plugins, diagnostics);
  FUZZ_CHECK(channel.has_value() || !diagnostics.empty());
  if (channel) preflight_channel(*channel, v.plugins, v.settings, diagnostics);
  for (const auto& d : diagnostics) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(d.str().find("channel.yaml") != std::string::npos);
  }
  return 0;
}
