// The example plugin of docs/plugins.md, as its author would try it: loaded
// beside the shipped plugins, its options checked by `artery validate`, used
// by a channel under `artery run`.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

TEST_CASE("the example stamp plugin validates, runs in a channel and stamps each message", "[integration][plugins]") {
  TempDir dir("artery-example-plugin");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  for (const char* name : {"artery-mllp.so", "artery-file.so"})
    fs::copy_file(fs::path(ARTERY_PLUGIN_DIR) / name, plugins / name);
  fs::copy_file(fs::path(ARTERY_BUILD_DIR) / "test-plugins/example/artery-stamp.so", plugins / "artery-stamp.so");
  const int port = free_port();
  write_text(dir / "channels/stamped.yaml", "name: stamped\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                                std::to_string(port) +
                                                "\ndestinations:\n  - name: audit\n    type: stamp\n"
                                                "    path: ../stamped.log\n    stamp: \"[${source.local_port}]\"\n");
  std::string output;
  // Its option table is checked like any plugin's.
  write_text(dir / "bad/bad.yaml", "name: bad\nsource:\n  type: mllp\n  listen: 127.0.0.1:1\ndestinations:\n"
                                   "  - name: audit\n    type: stamp\n    pth: x.log\n");
  CHECK(run_artery({"validate", (dir / "bad").string(), "--plugins", plugins.string()}, output) == 1);
  CHECK(output.find("unknown key 'pth' in stamp destination 'audit' (did you mean 'path'?)") != std::string::npos);
  CHECK(output.find("missing required key 'path'") != std::string::npos);
  REQUIRE(run_artery({"validate", (dir / "channels").string(), "--plugins", plugins.string()}, output) == 0);

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--plugins", plugins.string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  write_text(dir / "msg.hl7", "MSH|^~\\&|A|B|C|D|20261201||ADT^A01|S-1|P|2.5\rPID|1||9\r");
  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(port), (dir / "msg.hl7").string(), "--plugins",
                      plugins.string()},
                     output) == 0);
  CHECK(eventually([&] { return fs::exists(dir / "stamped.log"); }));
  CHECK(read_text(dir / "stamped.log") ==
        "[" + std::to_string(port) + "] MSH|^~\\&|A|B|C|D|20261201||ADT^A01|S-1|P|2.5 PID|1||9 \n");
  CHECK(engine.stop(SIGTERM) == 0);
}
