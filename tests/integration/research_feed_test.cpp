// The shipped research-feed channel as a user turns it on: a copy with
// enabled: true, its port and folder changed, validated, run, an ORU sent over
// MLLP; the file it writes holds none of the message's identifiers, and the
// same patient's second result is filed under the same pseudonym.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = ARTERY_SOURCE_DIR;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".hl7") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path write_channel(const TempDir& dir, int port) {
  std::string yaml = read_text(kSource / "channels/research-feed.yaml");
  yaml = replaced(yaml, "enabled: false", "enabled: true");
  yaml = replaced(yaml, "listen: 127.0.0.1:2591", "listen: 127.0.0.1:" + std::to_string(port));
  yaml = replaced(yaml, "directory: ../data/research", "directory: " + (dir / "research").string());
  yaml = replaced(yaml, "../scripts/research_feed.lua", (kSource / "scripts/research_feed.lua").string());
  yaml = replaced(yaml, "../examples/data/", (kSource / "examples/data").string() + "/");
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/research-feed.yaml", yaml);
  return dir / "channels";
}

}  // namespace

TEST_CASE("research-feed: an ORU over MLLP is filed de-identified", "[integration][deid]") {
  TempDir dir("artery-research");
  const int port = free_port();
  const fs::path channels = write_channel(dir, port);
  std::string output;
  REQUIRE(run_artery({"validate", channels.string()}, output) == 0);

  ::setenv("ARTERY_DEID_KEY", "research-feed-test-key-0123456789", 1);
  EngineProcess engine({"run", "--channels", channels.string(), "--data", (dir / "data").string(), "--http", "off"},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));

  const std::string oru = read_text(kSource / "tests/fixtures/samples/hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7");
  const std::string adt = read_text(kSource / "tests/fixtures/samples/hl7v2/adt_a01_v24_hapi_docs_example.hl7");
  {
    MllpClient client(port);
    REQUIRE(client.ok());
    CHECK(client.exchange(oru).find("MSA|AA") != std::string::npos);
    CHECK(client.exchange(adt).find("MSA|AA") != std::string::npos);  // accepted, filtered: not ORU
  }
  REQUIRE(eventually([&] { return files_in(dir / "research").size() == 1; }));
  const std::string written = read_text(files_in(dir / "research")[0]);
  INFO(written);
  // Every identifier of the message, read from the sample by hand.
  for (const char* id : {"555-44-4444", "EVERYWOMAN", "JONES", "19620320", "153 FERNWOOD", "STATESVILLE", "35292",
                         "(206)3345232", "(206)752-121", "AC555444444", "67-A4335", "845439", "1045813",
                         "555-55-5555", "PATRICIA", "444-44-4444", "HIPPOCRATES", "CNTRL-3456", "20020215"}) {
    INFO("identifier: " << id);
    CHECK(lower(written).find(lower(id)) == std::string::npos);
  }
  CHECK(written.find("OBX|1|SN|1554-5^GLUCOSE") != std::string::npos);  // the result itself is kept
  CHECK(written.find("^182|mg/dl|70_105|H") != std::string::npos);
  CHECK(files_in(dir / "research")[0].filename().string().find("555") == std::string::npos);

  // The same patient again (another sample of the same message): the same
  // pseudonym, so the research side can link the two.
  // (Both samples carry control id CNTRL-3456: the second gets its own, as a
  // second result would, or it would be filed over the first.)
  const std::string again = replaced(
      read_text(kSource / "tests/fixtures/samples/hl7v2/oru_r01_v24_pythonhl7_glucose_sn.hl7"), "CNTRL-3456", "CNTRL-3457");
  {
    MllpClient client(port);
    CHECK(client.exchange(again).find("MSA|AA") != std::string::npos);
  }
  REQUIRE(eventually([&] { return files_in(dir / "research").size() == 2; }));
  const auto files = files_in(dir / "research");
  const std::string first = files[0].filename().string(), second = files[1].filename().string();
  CHECK(first.substr(0, 16) == second.substr(0, 16));
  engine.stop(SIGTERM);
}

TEST_CASE("research-feed: without a key nothing is written and the message is an error", "[integration][deid]") {
  TempDir dir("artery-research-nokey");
  const int port = free_port();
  const fs::path channels = write_channel(dir, port);
  ::unsetenv("ARTERY_DEID_KEY");
  EngineProcess engine({"run", "--channels", channels.string(), "--data", (dir / "data").string(), "--http", "off"},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  {
    MllpClient client(port);
    REQUIRE(client.ok());
    client.exchange(read_text(kSource / "tests/fixtures/samples/hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"));
  }
  REQUIRE(engine.wait_for_log("ARTERY_DEID_KEY is not set"));
  CHECK(files_in(dir / "research").empty());
  engine.stop(SIGTERM);
}
