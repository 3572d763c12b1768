// artery.yaml: every key read, paths relative to the file, mistakes reported
// at their lines (fixtures in tests/fixtures/config/engine/).
#include "config/engine_config.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace artery;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(ARTERY_FIXTURES) / "config" / "engine";

const Diagnostic* find(const Diagnostics& diagnostics, const std::string& text) {
  for (const auto& d : diagnostics)
    if (d.message.find(text) != std::string::npos) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("engine config reads every key, paths relative to the file") {
  Diagnostics diagnostics;
  auto config = load_engine_config(kDir / "artery.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(config);
  CHECK(config->channels_dir == (kDir / "../channels").lexically_normal());
  CHECK(config->data_dir == (kDir / "var/data").lexically_normal());
  CHECK(config->plugins_dir == fs::path("/opt/artery/plugins"));  // absolute stays as written
  CHECK(config->http == "0.0.0.0:9090");
  CHECK(config->durability == Durability::fsync);
  CHECK(config->lua_limits.instructions == 5'000'000);
  CHECK(config->lua_limits.memory_bytes == 16u << 20);
  CHECK(config->log_level == "debug");
}

TEST_CASE("an empty engine config means all defaults") {
  Diagnostics diagnostics;
  auto config = load_engine_config(kDir / "empty.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(config);
  EngineConfig defaults;
  CHECK(config->channels_dir == defaults.channels_dir);
  CHECK(config->data_dir == defaults.data_dir);
  CHECK(config->plugins_dir.empty());
  CHECK(config->http == "127.0.0.1:8080");
  CHECK(config->durability == Durability::normal);
  CHECK(config->lua_limits.instructions == defaults.lua_limits.instructions);
  CHECK(config->log_level == "info");
}

TEST_CASE("engine config mistakes are all reported at their lines") {
  Diagnostics diagnostics;
  CHECK_FALSE(load_engine_config(kDir / "bad.yaml", diagnostics));
  std::string text;
  for (const auto& d : diagnostics) text += d.str() + "\n";
  INFO(text);
  auto line_of = [&](const std::string& part) {
    auto d = find(diagnostics, part);
    return d ? d->line : -1;
  };
  CHECK(line_of("unknown key 'channel' in engine config (did you mean 'channels'?)") == 1);
  CHECK(line_of("wrong value for 'http' in engine config: expected an address") == 2);
  CHECK(line_of("wrong type for 'durability' in engine config: expected one of normal, fsync, got 'sometimes'") == 3);
  CHECK(line_of("'instructions' in lua must be at least 1") == 5);
  CHECK(line_of("wrong type for 'memory' in lua: expected a size") == 6);
  CHECK(line_of("wrong type for 'log_level'") == 7);
  CHECK(diagnostics.size() == 6);
  for (const auto& d : diagnostics) CHECK(d.file == (kDir / "bad.yaml").string());
}

TEST_CASE("a missing engine config file is an error") {
  Diagnostics diagnostics;
  CHECK_FALSE(load_engine_config(kDir / "nope.yaml", diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].str() == (kDir / "nope.yaml").string() + ": file not found");
}
