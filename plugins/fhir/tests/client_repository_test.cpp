// Both halves of a two-way sync against Artery's own FHIR repository (the
// `fhir` listener with repository: true) in one `artery run`: a channel
// pushes resources and a transaction Bundle to it with the fhir destination,
// another polls its Patients back with the poll source. What the repository
// assigned (ids, versions, Location) is what the push recorded and what the
// poll emitted.
#include "store/message_store.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string attribute(const artery::MessageRecord& m, const char* key) {
  if (m.attributes_json.empty()) return {};
  const auto attributes = json::parse(m.attributes_json);
  const auto* value = attributes.as_object().if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

TEST_CASE("fhir destination and poll source against the real FHIR repository channel", "[fhir][client][repository]") {
  TempDir dir("artery-fhir-two-way");
  const int port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  write_text(dir / "channels/ehr.yaml", "name: ehr\nsource:\n  type: fhir\n  listen: 127.0.0.1:" +
                                            std::to_string(port) + "\n  repository: true\n");
  write_text(dir / "channels/push.yaml",
             "name: push\nsource:\n  type: file\n  data_type: json\n  directory: " + (dir / "in").string() +
                 "\n  glob: \"*.json\"\n  poll_interval: 100ms\n  min_age: 0s\ndestinations:\n"
                 "  - name: ehr\n    type: fhir\n    url: " + base + "\n    retry: {max: 20, initial: 200ms, max_delay: 500ms}\n");
  write_text(dir / "channels/sync.yaml",
             "name: sync\nsource:\n  type: fhir\n  mode: poll\n  url: " + base +
                 "\n  resource_type: Patient\n  interval: 200ms\ndestinations:\n  - name: out\n    type: file\n"
                 "    directory: " + (dir / "out").string() +
                 "\n    filename: all.ndjson\n    mode: append\n    separator: \"\\n\"\n");
  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  {
    EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                          "--http", "off"},
                         dir / "engine.log");
    INFO(engine.log());
    REQUIRE(engine.wait_for_log("running 3 of 3 channels"));
    fs::create_directories(dir / "in");
    const std::vector<std::string> bodies = {
        R"({"resourceType":"Patient","name":[{"family":"Alpha"}]})",
        R"({"resourceType":"Patient","id":"fixed-1","name":[{"family":"Beta"}]})",
        R"({"resourceType":"Bundle","type":"transaction","entry":[)"
        R"({"fullUrl":"urn:uuid:6b1e0a52-2c1f-4a5e-9d43-0f5b8f1c2a01","resource":{"resourceType":"Patient","name":[{"family":"Gamma"}]},"request":{"method":"POST","url":"Patient"}},)"
        R"({"resource":{"resourceType":"Patient","name":[{"family":"Delta"}]},"request":{"method":"POST","url":"Patient"}}]})",
        R"({"resourceType":"Patient","name":[{"family":"Epsilon"}]})"};
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      write_text(dir / "in" / ("m" + std::to_string(i) + ".tmp"), bodies[i]);
      fs::rename(dir / "in" / ("m" + std::to_string(i) + ".tmp"), dir / "in" / ("m" + std::to_string(i) + ".json"));
    }
    REQUIRE(eventually([&] { return count_lines(dir / "out/all.ndjson") >= 5; }));
    auto read = http_get(port, "/fhir/Patient/fixed-1");
    CHECK(read.status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // more polls: nothing new
    CHECK(engine.stop(SIGTERM) == 0);
  }

  std::string error;
  auto store = artery::MessageStore::open(dir / "data/artery.db", artery::Durability::normal, error);
  REQUIRE(store);
  artery::MessageQuery query;
  query.limit = 1000;
  query.channel = "push";
  std::set<std::string> pushed;
  for (const auto& summary : store->search(query)) {
    auto m = store->get(summary.id);
    REQUIRE(m);
    REQUIRE(m->deliveries.size() == 1);
    const auto& d = m->deliveries[0];
    INFO(d.error);
    REQUIRE(d.state == artery::MessageState::sent);
    const auto response = json::parse(d.response).as_object();
    const auto status = response.at("status").as_int64();
    CHECK((status == 200 || status == 201));
    const std::string id(response.at("id").as_string());
    if (m->raw.find("\"Bundle\"") != std::string::npos) {
      // The transaction's answer: a transaction-response Bundle naming each created Patient.
      const auto& entries = response.at("body").at("entry").as_array();
      REQUIRE(entries.size() == 2);
      for (const auto& e : entries) {
        const std::string location(e.at("response").at("location").as_string());
        const auto start = location.find("Patient/") + 8;
        pushed.insert(location.substr(start, location.find('/', start) - start));
      }
    } else {
      CHECK(!id.empty());
      CHECK(std::string(response.at("version").as_string()) == "1");
      CHECK(std::string(response.at("location").as_string()).find("/Patient/" + id) != std::string::npos);
      pushed.insert(id);
    }
  }
  CHECK(pushed.size() == 5);
  CHECK(pushed.count("fixed-1") == 1);

  query.channel = "sync";
  std::multiset<std::string> polled;
  for (const auto& m : store->search(query)) {
    CHECK(attribute(m, "fhir.resource_type") == "Patient");
    CHECK(attribute(m, "fhir.version") == "1");
    CHECK(!attribute(m, "fhir.last_updated").empty());
    polled.insert(attribute(m, "fhir.id"));
  }
  CHECK(polled.size() == 5);  // each once
  CHECK(std::set<std::string>(polled.begin(), polled.end()) == pushed);
}
