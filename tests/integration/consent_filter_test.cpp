// The channel `consent:` filter the way a user meets it: the shipped ehr-fhir
// repository (seeded with a permit Consent for Eleanor Whitfield, MRN
// RGH100231, and an opt-out for Samuel Okafor, RGH100487), MLLP channels
// with the filter, `artery validate`, `artery run`, and HL7 results sent over
// MLLP. A permitted patient's result is delivered; a denied one is FILTERED
// with the reason, or goes only to the `when_denied.route` destination; an
// expired consent denies; a repository that is down is on_error's answer and
// the message is recorded either way; a burst for one patient makes one
// lookup (counted at a proxy in front of the repository).
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"

#include <artery/http_client.hpp>
#include <artery/http_server.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kSource = ARTERY_SOURCE_DIR;
const std::string kMrn = "https://riverside-general.example.org/Id/mrn";

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

// Rows of the stopped (or running: WAL) engine's store.
std::vector<std::vector<std::string>> rows(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(handle, 5000);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> out;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const auto* text = sqlite3_column_text(statement, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return out;
}

std::string oru(const std::string& control_id, const std::string& mrn) {
  return "MSH|^~\\&|LAB|RGH|ARTERY|RGH|20261201120000||ORU^R01|" + control_id + "|P|2.5\rPID|1||" + mrn +
         "^^^RGH^MR||PATIENT^TEST\rOBX|1|NM|2823-3^Potassium^LN||4.1|mmol/L|||||F\r";
}

bool accepted(const std::string& ack) { return ack.find("MSA|AA|") != std::string::npos; }

// Messages a file destination appended to <folder>/results.hl7.
std::size_t messages_in(const fs::path& folder) {
  std::error_code ec;
  if (!fs::exists(folder / "results.hl7", ec)) return 0;
  const std::string text = read_text(folder / "results.hl7");
  std::size_t n = 0;
  for (auto at = text.find("MSH|"); at != std::string::npos; at = text.find("MSH|", at + 1)) ++n;
  return n;
}

artery::HttpClientOptions proxy_client_options() {
  artery::HttpClientOptions options;
  options.request_timeout = std::chrono::seconds(10);
  return options;
}

// A FHIR proxy in front of the repository that counts the searches it passes
// on, by resource type: what "one lookup per burst" is measured with.
class CountingProxy {
 public:
  CountingProxy(int port, int upstream) : upstream_(upstream) {
    artery::HttpRouter router;
    router.add("GET", "/fhir/{type}", [this](const artery::HttpRequest& request) {
      {
        std::lock_guard lock(mutex_);
        ++counts_[request.path.substr(6)];
      }
      artery::HttpClientRequest forward;
      forward.url = "http://127.0.0.1:" + std::to_string(upstream_) + request.target;
      forward.headers.emplace_back("Accept", "application/fhir+json");
      std::lock_guard lock(client_mutex_);
      auto result = client_.request(forward);
      if (!result.response) return artery::HttpResponse::error(502, result.error);
      return artery::HttpResponse::text(result.response->status, result.response->body, "application/fhir+json");
    });
    artery::HttpServerOptions options;
    options.port = static_cast<std::uint16_t>(port);
    server_ = std::make_unique<artery::HttpServer>(options, std::move(router));
    std::string error;
    REQUIRE(server_->start(error));
  }
  ~CountingProxy() { server_->stop(); }
  int count(const std::string& type) {
    std::lock_guard lock(mutex_);
    return counts_[type];
  }

 private:
  int upstream_;
  std::mutex client_mutex_;  // one kept connection to the repository, one request at a time
  artery::HttpClient client_{proxy_client_options()};
  std::unique_ptr<artery::HttpServer> server_;
  std::mutex mutex_;
  std::map<std::string, int> counts_;
};

const std::string kAppend = "    filename: results.hl7\n    mode: append\n    separator: \"\\n\"\n";

std::string mllp_channel(const std::string& name, int port, const std::string& consent, const fs::path& out,
                         bool held = false) {
  std::string yaml = "name: " + name + "\nsource:\n  type: mllp\n  data_type: hl7v2\n  listen: 127.0.0.1:" +
                     std::to_string(port) + "\nconsent:\n" + consent + "destinations:\n  - name: shared\n    type: file\n"
                     "    directory: " + (out / name / "shared").string() + "\n" + kAppend;
  if (held)
    yaml += "  - name: held\n    type: file\n    directory: " + (out / name / "held").string() + "\n" + kAppend;
  return yaml;
}

}  // namespace

TEST_CASE("consent filter: permitted, denied, routed, expired, repository down, one lookup per burst",
          "[integration][consent]") {
  TempDir dir("artery-consent");
  const int fhir = free_port(), proxy_port = free_port(), dead = free_port();
  const int drop_port = free_port(), route_port = free_port(), down_deny_port = free_port(),
            down_allow_port = free_port();
  const fs::path out = dir / "out";
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/ehr-fhir.yaml",
             edited("ehr-fhir.yaml", {{"listen: 127.0.0.1:8090", "listen: 127.0.0.1:" + std::to_string(fhir)},
                                      {"seed: seed/", "seed: " + (kSource / "channels/seed").string() + "/"},
                                      {"../scripts/ehr_fhir.lua", (kSource / "scripts/ehr_fhir.lua").string()}}));
  const std::string common = "  patient: PID-3.1\n  identifier_system: " + kMrn +
                             "\n  category: http://loinc.org|59284-0\n  scope: patient-privacy\n  purpose: TREAT\n";
  write_text(dir / "channels/share-drop.yaml",
             mllp_channel("share-drop", drop_port, "  server: ehr-fhir\n" + common + "  when_denied: drop\n", out));
  write_text(dir / "channels/share-route.yaml",
             mllp_channel("share-route", route_port,
                          "  server: http://127.0.0.1:" + std::to_string(proxy_port) + "/fhir\n" + common +
                              "  cache_ttl: 1m\n  when_denied: {route: held}\n",
                          out, true));
  write_text(dir / "channels/share-down-deny.yaml",
             mllp_channel("share-down-deny", down_deny_port,
                          "  server: http://127.0.0.1:" + std::to_string(dead) + "/fhir\n" + common +
                              "  timeout: 2s\n  on_error: deny\n",
                          out));
  write_text(dir / "channels/share-down-allow.yaml",
             mllp_channel("share-down-allow", down_allow_port,
                          "  server: http://127.0.0.1:" + std::to_string(dead) + "/fhir\n" + common +
                              "  timeout: 2s\n  on_error: allow\n",
                          out));
  std::string output;
  const int validated = run_artery({"validate", (dir / "channels").string()}, output);
  INFO(output);
  REQUIRE(validated == 0);

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                        "127.0.0.1:" + std::to_string(free_port())},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 5 of 5 channels"));
  REQUIRE(wait_for_http(fhir));
  CountingProxy proxy(proxy_port, fhir);

  // Priya Sharma (RGH100592) has no consent in the seed; give her one that has expired.
  auto found = http_get(fhir, "/fhir/Patient?identifier=" + kMrn + "%7CRGH100592");
  REQUIRE(found.status == 200);
  const std::string priya(json::parse(found.body).at("entry").at(0).at("resource").at("id").as_string());
  auto created = http_post_json(
      fhir, "/fhir/Consent",
      R"({"resourceType":"Consent","status":"active",
          "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
          "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
          "patient":{"reference":"Patient/)" + priya + R"("},"dateTime":"2024-02-01",
          "provision":{"type":"permit","period":{"start":"2024-02-01","end":"2025-01-31"}}})",
      {{"Content-Type", "application/fhir+json"}});
  REQUIRE(created.status == 201);

  const fs::path db = dir / "data/artery.db";
  auto state_of = [&](const std::string& channel, const std::string& control_id) {
    auto r = rows(db, "SELECT state, error FROM messages WHERE channel = '" + channel + "' AND control_id = '" +
                          control_id + "'");
    return r.empty() ? std::vector<std::string>{"", ""} : r.front();
  };

  SECTION("drop: permitted delivered, opted out and expired FILTERED with the reason") {
    MllpClient mllp(drop_port);
    REQUIRE(accepted(mllp.exchange(oru("D1", "RGH100231"))));  // Whitfield: permit (treatment)
    REQUIRE(accepted(mllp.exchange(oru("D2", "RGH100487"))));  // Okafor: opted out
    REQUIRE(accepted(mllp.exchange(oru("D3", "RGH100592"))));  // Sharma: expired
    REQUIRE(accepted(mllp.exchange(oru("D4", "RGH999999"))));  // nobody
    REQUIRE(eventually([&] { return messages_in(out / "share-drop/shared") == 1; }));
    REQUIRE(eventually([&] { return state_of("share-drop", "D4")[0] == "FILTERED"; }));
    CHECK(eventually([&] { return state_of("share-drop", "D1")[0] == "SENT"; }));
    auto okafor = state_of("share-drop", "D2");
    CHECK(okafor[0] == "FILTERED");
    CHECK_THAT(okafor[1], Catch::Contains("denies") && Catch::Contains("at 20"));
    auto sharma = state_of("share-drop", "D3");
    CHECK(sharma[0] == "FILTERED");
    CHECK_THAT(sharma[1], Catch::Contains("expired 2025-01-31") && Catch::Contains("default deny"));
    CHECK_THAT(state_of("share-drop", "D4")[1], Catch::Contains("no Patient with identifier " + kMrn + "|RGH999999"));
  }

  SECTION("route: a denied message goes only to the named destination; a burst makes one lookup") {
    MllpClient mllp(route_port);
    for (int i = 0; i < 10; ++i) REQUIRE(accepted(mllp.exchange(oru("R" + std::to_string(i), "RGH100231"))));
    REQUIRE(accepted(mllp.exchange(oru("R-denied", "RGH100487"))));
    REQUIRE(eventually([&] { return messages_in(out / "share-route/shared") == 10; }));
    if (!eventually([&] { return messages_in(out / "share-route/held") == 1; })) {
      std::string seen;
      for (const auto& row : rows(db, "SELECT m.control_id, m.state, m.error, m.vars_json, d.destination, d.state, "
                                      "d.error FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id WHERE "
                                      "m.channel = 'share-route'"))
        for (const auto& column : row) seen += column + " | ";
      FAIL("the denied message did not reach 'held': " << seen << "\n" << engine.log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else arrives late
    CHECK(messages_in(out / "share-route/shared") == 10);
    auto destinations = rows(db, "SELECT d.destination, d.state FROM deliveries d JOIN messages m ON m.id = "
                                 "d.message_id WHERE m.control_id = 'R-denied'");
    REQUIRE(destinations.size() == 1);
    CHECK(destinations[0][0] == "held");
    auto vars = rows(db, "SELECT vars_json FROM messages WHERE control_id = 'R-denied'");
    REQUIRE(vars.size() == 1);
    CHECK_THAT(vars[0][0], Catch::Contains("\"consent\"") && Catch::Contains("denies"));
    // Two patients, each resolved once and its Consents searched once.
    CHECK(proxy.count("Patient") == 2);
    CHECK(proxy.count("Consent") == 2);
  }

  SECTION("repository down: on_error deny records FILTERED, on_error allow delivers") {
    MllpClient deny(down_deny_port), allow(down_allow_port);
    REQUIRE(accepted(deny.exchange(oru("X1", "RGH100231"))));
    REQUIRE(accepted(allow.exchange(oru("Y1", "RGH100487"))));
    REQUIRE(eventually([&] { return state_of("share-down-deny", "X1")[0] == "FILTERED"; }));
    CHECK_THAT(state_of("share-down-deny", "X1")[1], Catch::Contains("consent lookup failed (on_error: deny)"));
    REQUIRE(eventually([&] { return messages_in(out / "share-down-allow/shared") == 1; }));
    CHECK(messages_in(out / "share-down-deny/shared") == 0);
  }
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("consent filter: artery validate points at each mistake", "[integration][consent]") {
  TempDir dir("artery-consent-validate");
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/bad.yaml",
             "name: bad\n"
             "source: {type: mllp, data_type: hl7v2, listen: 127.0.0.1:2599}\n"
             "consent:\n"
             "  server: no-such-channel\n"
             "  patient: patient.id\n"
             "  when_denied: {route: nowhere}\n"
             "  on_error: maybe\n"
             "  catgory: x\n"
             "destinations:\n"
             "  - {name: shared, type: file, directory: out, filename: x.hl7}\n");
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("bad.yaml:5:12: consent.patient: 'patient.id' is not an HL7 path"));
  CHECK_THAT(output, Catch::Contains("bad.yaml:6:24: consent.when_denied.route: no enabled destination 'nowhere'"));
  CHECK_THAT(output, Catch::Contains("bad.yaml:7:13:"));
  CHECK_THAT(output, Catch::Contains("bad.yaml:8:3: unknown key 'catgory' in consent (did you mean 'category'?)"));

  // A server that names no FHIR listener channel.
  write_text(dir / "channels/bad.yaml",
             "name: bad\n"
             "source: {type: mllp, data_type: hl7v2, listen: 127.0.0.1:2599}\n"
             "consent: {server: ehr-fhr, patient: PID-3.1}\n"
             "destinations:\n"
             "  - {name: shared, type: file, directory: out, filename: x.hl7}\n");
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  CHECK_THAT(output, Catch::Contains("bad.yaml:3:19: consent.server: no channel 'ehr-fhr'"));
}
