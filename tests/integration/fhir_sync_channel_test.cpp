// The shipped fhir-sync channel switched on as its comment says (enabled:
// true, nothing else but the ports): it polls the ehr-fhir repository for
// Patients and keeps a file per Patient whose Consent permits it (its
// consent: filter) in <data dir>/fhir-sync. A Patient created later is polled
// again, and a restart neither repeats nor skips.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <csignal>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kSource = ARTERY_SOURCE_DIR;

std::string edited(const std::string& file, const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string yaml = read_text(kSource / "channels" / file);
  for (const auto& [from, to] : edits) {
    const auto at = yaml.find(from);
    INFO(file << ": " << from);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, from.size(), to);
  }
  const auto tests = yaml.find("\ntests:");
  return tests == std::string::npos ? yaml : yaml.substr(0, tests + 1);
}

// One value from the stopped engine's store.
std::string query(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return out;
}

std::size_t files_in(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return 0;
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".json") ++n;
  return n;
}

}  // namespace

TEST_CASE("the shipped fhir-sync channel keeps a file of every consenting Patient the repository has",
          "[integration][fhir][poll]") {
  TempDir dir("artery-fhir-sync");
  const int fhir = free_port();
  const std::string address = "127.0.0.1:" + std::to_string(fhir);
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/ehr-fhir.yaml",
             edited("ehr-fhir.yaml", {{"listen: 127.0.0.1:8090", "listen: " + address},
                                      {"seed: seed/", "seed: " + (kSource / "channels/seed").string() + "/"},
                                      {"../scripts/ehr_fhir.lua", (kSource / "scripts/ehr_fhir.lua").string()}}));
  write_text(dir / "channels/fhir-sync.yaml",
             edited("fhir-sync.yaml", {{"enabled: false", "enabled: true"},
                                       {"interval: 30s", "interval: 200ms"},
                                       {"url: http://127.0.0.1:8090/fhir", "url: http://" + address + "/fhir"},
                                       {"../scripts/fhir_sync_files.lua",
                                        (kSource / "scripts/fhir_sync_files.lua").string()}}));
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  const std::vector<std::string> args = {"run", "--channels", (dir / "channels").string(), "--data",
                                         (dir / "data").string(), "--http", "127.0.0.1:" + std::to_string(free_port())};
  const fs::path copies = dir / "data/fhir-sync";

  EngineProcess engine(args, dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  const fs::path store = dir / "data/artery.db";
  // Of the three seeded Patients only Eleanor Whitfield consents (Samuel
  // Okafor opted out, Priya Sharma has no Consent): one copy, two FILTERED.
  if (!eventually([&] { return query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync'") == "3"; },
                  std::chrono::seconds(20)))
    FAIL("the three seeded Patients were not polled; the engine's log:\n" << engine.log());
  REQUIRE(eventually([&] { return files_in(copies) == 1; }, std::chrono::seconds(20)));
  CHECK(query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync' AND state = 'FILTERED'") == "2");
  CHECK(query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync' AND state = 'FILTERED' AND error LIKE "
                     "'%denies%'") == "1");
  CHECK(query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync' AND state = 'FILTERED' AND error LIKE "
                     "'no consent in force%'") == "1");

  // A Patient created later, with a Consent in the same transaction, is the next poll's.
  const auto created = http_post_json(
      fhir, "/fhir",
      R"({"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:5d1b7a10-0000-4000-8000-000000000001",
           "resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000638"}],"name":[{"family":"Ng","given":["Mei"]}]},
           "request":{"method":"POST","url":"Patient"}},
          {"resource":{"resourceType":"Consent","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"urn:uuid:5d1b7a10-0000-4000-8000-000000000001"},
             "provision":{"type":"permit"}},
           "request":{"method":"POST","url":"Consent"}}]})",
      {{"Content-Type", "application/fhir+json"}});
  REQUIRE(created.status == 200);
  const std::string location(json::parse(created.body).at("entry").at(0).at("response").at("location").as_string());
  const std::string id = location.substr(location.find("Patient/") + 8, location.find("/_history") - location.find("Patient/") - 8);
  REQUIRE(eventually([&] { return fs::exists(copies / ("Patient-" + id + ".json")); }, std::chrono::seconds(20)));
  const auto copy = json::parse(read_text(copies / ("Patient-" + id + ".json")));
  CHECK(copy.at("name").at(0).at("family").as_string() == "Ng");
  CHECK(engine.stop(SIGTERM) == 0);

  CHECK(query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync'") == "4");

  // A restart starts from the stored mark: no Patient is emitted again.
  EngineProcess again(args, dir / "engine-2.log");
  REQUIRE(again.wait_for_log("running 2 of 2 channels"));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // about ten polls
  CHECK(again.stop(SIGTERM) == 0);
  CHECK(query(store, "SELECT COUNT(*) FROM messages WHERE channel = 'fhir-sync'") == "4");
  CHECK(files_in(copies) == 2);
}
