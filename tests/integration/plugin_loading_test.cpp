// The loader refuses what is not a plugin for this engine, says why in one
// line naming the file, and keeps the rest running.
#include "support/engine_process.hpp"

#include <artery/version.hpp>
#include <catch2/catch.hpp>

#include <csignal>

using namespace artery::testing;
namespace fs = std::filesystem;

TEST_CASE("bad plugins are refused with a reason and the other channels keep running", "[integration][plugins]") {
  TempDir dir("artery-plugins");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  fs::copy_file(fs::path(ARTERY_PLUGIN_DIR) / "artery-file.so", plugins / "artery-file.so");
  fs::copy_file(fs::path(ARTERY_BUILD_DIR) / "test-plugins/wrong_api_plugin.so", plugins / "wrong_api_plugin.so");
  fs::copy_file(fs::path(ARTERY_BUILD_DIR) / "test-plugins/no_entry_plugin.so", plugins / "no_entry_plugin.so");
  fs::copy_file(fs::path(ARTERY_BUILD_DIR) / "test-plugins/other_compiler_plugin.so",
                plugins / "other_compiler_plugin.so");
  write_text(plugins / "garbage.so", "this is not an ELF file\n");

  fs::create_directories(dir / "in");
  write_text(dir / "channels/copy.yaml", R"(name: copy
source:
  type: file
  directory: ../in
  min_age: 0s
  poll_interval: 50ms
  after: delete
destinations:
  - name: out
    type: file
    directory: ../out
    filename: copied.txt
)");
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--plugins", plugins.string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  const std::string log = engine.log();
  INFO(log);
  CHECK(log.find("refused " + (plugins / "wrong_api_plugin.so").string() + ": it was built for plugin API 99.0") !=
        std::string::npos);
  CHECK(log.find("refused " + (plugins / "no_entry_plugin.so").string() + ": it has no entry point 'artery_plugin_v1'") !=
        std::string::npos);
  CHECK(log.find("refused " + (plugins / "garbage.so").string() + ": not a loadable library") != std::string::npos);
  // Built with clang++ against an engine built with g++: refused by its
  // fingerprint, in words, before its factory (which aborts) is called.
  CHECK(log.find("refused " + (plugins / "other_compiler_plugin.so").string() + ": it was built with Clang 14 (the "
                 "engine: GCC 12); rebuild it with the engine's compiler, standard library and Boost") !=
        std::string::npos);

  write_text(dir / "in/hello.txt", "still working");
  REQUIRE(eventually([&] { return fs::exists(dir / "out/copied.txt"); }, std::chrono::seconds(20)));
  CHECK(read_text(dir / "out/copied.txt") == "still working");
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("artery version lists the loaded plugins", "[integration][plugins]") {
  std::string output;
  REQUIRE(run_artery({"version"}, output) == 0);
  INFO(output);
  CHECK(output.find("plugin API " + std::to_string(artery::kApiMajor) + "." + std::to_string(artery::kApiMinor)) !=
        std::string::npos);
  CHECK(output.find("file") != std::string::npos);
  CHECK(output.find("lua") != std::string::npos);
}
