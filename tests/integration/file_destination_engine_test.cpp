// The file destination in the real engine: an append log of every message
// costs each message, not the file (so 50,000 of them go through), and the
// temporaries a SIGKILL leaves behind are removed at the next start.
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

std::string id_of(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "msg-%05d", i);
  return name;
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind(".artery-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".tmp")
      out.push_back(name);
  }
  return out;
}


}  // namespace

TEST_CASE("an append log of 50,000 messages: every message once, in order", "[integration][file]") {
  TempDir dir("artery-append");
  fs::create_directories(dir / "channels");
  fs::create_directories(dir / "in");
  fs::copy_file(fs::path(ARTERY_FIXTURES) / "integration" / "message-log.yaml", dir / "channels/message-log.yaml");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);

  constexpr int kFiles = 10, kPerFile = 5000;
  std::string expected;
  for (int f = 0; f < kFiles; ++f) {
    std::string batch;
    for (int i = 0; i < kPerFile; ++i) batch += id_of(f * kPerFile + i) + " result 5.9 mmol/L\n";
    expected += batch;
    char name[32];
    std::snprintf(name, sizeof name, "batch-%02d.txt", f);
    write_text(dir / "in" / name, batch);
  }

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "run.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  // An atomic append would copy the whole log per message (quadratic): this
  // would then take hours, not seconds. No time is asserted, only the outcome.
  const bool all_there =
      eventually([&] { return count_lines(dir / "out/all.log") >= kFiles * kPerFile; }, std::chrono::seconds(300));
  INFO(engine.log());
  INFO("lines: " << count_lines(dir / "out/all.log"));
  REQUIRE(all_there);
  CHECK(engine.stop(SIGTERM) == 0);
  CHECK(read_text(dir / "out/all.log") == expected);
  CHECK(temporaries_in(dir / "out").empty());
}

TEST_CASE("temporaries left by a SIGKILL are removed at the next start, real files intact",
          "[integration][file]") {
  TempDir dir("artery-tmp-clean");
  fs::create_directories(dir / "channels");
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "out");
  fs::copy_file(fs::path(ARTERY_FIXTURES) / "integration" / "uppercase.lua", dir / "channels/uppercase.lua");
  fs::copy_file(fs::path(ARTERY_FIXTURES) / "integration" / "file-pipe.yaml", dir / "channels/file-pipe.yaml");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  // A file of the user's own, and names like ours that are not ours.
  write_text(dir / "out/keep.out", "not the engine's\n");
  write_text(dir / "out/.artery-notes.tmp", "someone's notes\n");
  constexpr int kFiles = 3000;
  for (int i = 0; i < kFiles; ++i) write_text(dir / "in" / (id_of(i) + ".txt"), id_of(i) + " hello\n");

  const std::vector<std::string> args = {"run", "--channels", (dir / "channels").string(), "--data",
                                         (dir / "data").string()};
  pid_t killed = 0;
  {
    EngineProcess engine(args, dir / "run1.log");
    REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
    REQUIRE(eventually([&] { return fs::exists(dir / "out" / (id_of(300) + ".out")) || !engine.running(); }));
    REQUIRE(engine.running());
    killed = engine.pid();
    engine.stop(SIGKILL);
  }
  // Whether the kill caught a write between create and rename is chance;
  // these stand for what it leaves when it does (same name pattern, dead pid).
  const std::string planted = ".artery-" + std::to_string(killed) + "-999999.tmp";
  write_text(dir / "out" / planted, "half a message");
  write_text(dir / "out/.artery-999999999-1.tmp", "half a message");

  EngineProcess engine(args, dir / "run2.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  // Gone once the destination started: every temporary of a dead process.
  for (const auto& name : temporaries_in(dir / "out"))
    if (name != ".artery-notes.tmp") CHECK(name.rfind(".artery-" + std::to_string(engine.pid()) + "-", 0) == 0);
  CHECK(engine.log().find("temporary file") != std::string::npos);
  const bool drained = eventually([&] { return fs::exists(dir / "out" / (id_of(kFiles - 1) + ".out")); },
                                  std::chrono::seconds(120));
  INFO(engine.log());
  REQUIRE(drained);
  CHECK(engine.stop(SIGTERM) == 0);

  CHECK(read_text(dir / "out/keep.out") == "not the engine's\n");
  CHECK(read_text(dir / "out/.artery-notes.tmp") == "someone's notes\n");
  CHECK(temporaries_in(dir / "out") == std::vector<std::string>{".artery-notes.tmp"});
  for (int i = 0; i < kFiles; ++i) {
    std::string expected = id_of(i) + " hello\n";
    for (auto& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    REQUIRE(read_text(dir / "out" / (id_of(i) + ".out")) == expected);
  }
}
