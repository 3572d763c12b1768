// Repeated log lines are summarised for every component, here a channel's
// Lua script that logs one warning per message: 3,000 messages through the
// real engine leave a handful of those lines and one summary, while a line
// of another shape is still written.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>

using namespace artery::testing;

namespace {

std::size_t lines_containing(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.find(what) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("a script warning per message is summarised in the engine's log", "[integration][log]") {
  TempDir dir("artery-log-flood");
  const int port = free_port();
  write_text(dir / "channels/noisy.lua",
             "local M = {}\n"
             "function M.transform(msg, ctx)\n"
             "  local id = msg:get(\"MSH-10\")\n"
             "  log.warn(\"message \" .. id .. \" has no PV1 segment\")\n"
             "  if id == \"C1-0-2999\" then log.warn(\"the last one came\") end\n"
             "  return nil\n"
             "end\nreturn M\n");
  write_text(dir / "channels/noisy.yaml", "name: noisy\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                              std::to_string(port) + "\nscript: noisy.lua\n");
  write_text(dir / "oru.hl7", "MSH|^~\\&|MON|WARD7|ARTERY|LAB|20261201101500||ORU^R01|C1|P|2.5\r"
                              "PID|1||555444222^^^NHS||SMITH^JOHN\r");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));

  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(port), (dir / "oru.hl7").string(), "--repeat",
                      "3000"},
                     output) == 0);
  INFO(output.substr(output.rfind("sent ")));
  REQUIRE(engine.wait_for_log("the last one came"));
  // The summary comes when the flood's 10 s window ends.
  REQUIRE(engine.wait_for_log("more like this in the last", std::chrono::seconds(30)));
  const std::string log = engine.log();
  INFO(log);
  const std::size_t shown = lines_containing(log, "has no PV1 segment");
  CHECK(shown >= 1);
  CHECK(shown <= 20);  // 5 per 10 s window, and the summaries quoting the last
  CHECK(lines_containing(log, "more like this in the last") >= 1);
  CHECK(engine.stop(SIGTERM) == 0);
}
