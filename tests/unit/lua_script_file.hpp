// A Lua script written to a temporary file for the length of a test, and
// loaded as the engine would (no services, default limits).
#pragma once
#include "lua/script.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

namespace artery::testing {

struct ScriptFile {
  std::filesystem::path path;
  explicit ScriptFile(const std::string& text) {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("artery_lua_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".lua");
    std::ofstream(path, std::ios::binary) << text;
  }
  ~ScriptFile() { std::filesystem::remove(path); }
};

inline std::unique_ptr<lua::Script> load(const ScriptFile& file) {
  lua::Script::Options options;
  options.file = file.path;
  std::string error;
  auto script = lua::Script::load(options, error);
  INFO(error);
  REQUIRE(script);
  return script;
}

}  // namespace artery::testing
