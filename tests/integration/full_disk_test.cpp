// The real engine with its data folder on a small volume (a tmpfs the test
// mounts; needs root, says so otherwise): with less free space than one
// 32 MiB intake segment it still acknowledges messages; when the disk is
// full every message is answered AE and the log shows a handful of lines
// and a summary instead of one line per message; once space returns it
// recovers by itself, and every acknowledged message is delivered.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/small_volume.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <regex>
#include <sstream>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

// "AA=500 AE=12" from artery send mllp's summary line: the count of `code`.
long count_of(const std::string& output, const std::string& code) {
  std::smatch m;
  if (std::regex_search(output, m, std::regex(" " + code + "=(\\d+)"))) return std::stol(m[1]);
  return 0;
}

std::size_t lines_containing(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.find(what) != std::string::npos;
  return n;
}


}  // namespace

TEST_CASE("a small, then full data volume: acknowledged while room, AE and a quiet log when full, then recovery",
          "[integration][store][volume]") {
  // 16 MiB: the engine keeps its copies of the plugin libraries (about 3 MB,
  // docs/plugins.md) in the data folder too.
  SmallVolume volume(16 << 20);
  if (!volume.mounted()) {
    WARN("not run: " << volume.error());
    return;
  }
  TempDir dir("artery-full-disk");
  const int port = free_port();
  write_text(dir / "channels/ids.lua",
             "local M = {}\nfunction M.transform(msg, ctx)\n  return msg:get(\"MSH-10\")\nend\nreturn M\n");
  write_text(dir / "channels/lab.yaml", "name: lab\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                                            "\nscript: ids.lua\ndestinations:\n  - name: ids\n    type: file\n"
                                            "    directory: ../out\n    filename: ids.txt\n    mode: append\n"
                                            "    separator: \"\\n\"\n");
  // ~2 KB messages, so a few thousand fill what the volume has left.
  write_text(dir / "oru.hl7", "MSH|^~\\&|MON|WARD7|ARTERY|LAB|20261201101500||ORU^R01|C1|P|2.5\r"
                              "PID|1||555444222^^^NHS||SMITH^JOHN\r"
                              "OBX|1|TX|NOTE||" + std::string(2000, 'n') + "||||||F\r");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (volume / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  REQUIRE(volume.free_bytes() < (32u << 20));
  const std::string remote = "127.0.0.1:" + std::to_string(port);
  auto send = [&](int n) {
    run_artery({"send", "mllp", remote, (dir / "oru.hl7").string(), "--repeat", std::to_string(n)}, output);
    return output.substr(output.rfind("sent "));
  };

  // Less free space than a segment: still acknowledged (smaller segments).
  std::string first = send(500);
  INFO(first);
  INFO(engine.log());
  CHECK(count_of(first, "AA") == 500);
  CHECK(engine.log().find("using segments of") != std::string::npos);

  // Full: every further message is refused AE, and the log stays short.
  volume.fill("filler");
  std::string full = send(8000);
  INFO(full);
  const long refused = count_of(full, "AE");
  const long accepted_while_filling = count_of(full, "AA");
  CHECK(refused >= 2000);
  CHECK(refused + accepted_while_filling == 8000);
  REQUIRE(engine.wait_for_log("more like this in the last", std::chrono::seconds(30)));
  const std::string log = engine.log();
  INFO(log.substr(log.size() > 20000 ? log.size() - 20000 : 0));
  // A handful of lines for thousands of refusals.
  CHECK(lines_containing(log, " ERROR ") < 40);

  // Space returns: accepted again, by itself.
  fs::remove(volume / "filler");
  std::string again;
  REQUIRE(eventually([&] { return count_of(again = send(50), "AA") == 50; }, std::chrono::seconds(60)));
  // Nothing acknowledged is lost: every AA is delivered.
  const std::size_t acknowledged = 500 + accepted_while_filling + count_of(again, "AA");
  INFO("acknowledged " << acknowledged);
  // Earlier rounds of the recovery loop may have been acknowledged in part.
  CHECK(eventually([&] { return count_lines(dir / "out/ids.txt") >= acknowledged; }, std::chrono::seconds(120)));
  CHECK(engine.stop(SIGTERM) == 0);
}
