// The fhir source in mode poll as a channel author uses it: YAML, `artery
// validate`, `artery run`, against a FHIR server served by the test that
// pages its search results (3 a page) and gives several Patients the same
// meta.lastUpdated. The engine is stopped between polls with SIGTERM and
// with SIGKILL, and new Patients are added while it is down: every Patient
// reaches the channel's store exactly once.
#include "client_test_server.hpp"

#include "store/message_store.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>
#include <thread>

using namespace artery::testing;
using namespace artery::fhir::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::vector<std::string> add_patients(int port, int count, bool same_instant) {
  auto reply = http_request(port, {"POST",
                                   "/_test/patients?count=" + std::to_string(count) +
                                       "&same_instant=" + (same_instant ? "1" : "0"),
                                   {},
                                   "{}"});
  REQUIRE(reply.status == 200);
  std::vector<std::string> ids;
  const auto body = json::parse(reply.body);
  for (const auto& id : body.at("ids").as_array()) ids.emplace_back(id.as_string());
  return ids;
}

// fhir.id of every message the channel stored, with how often.
std::map<std::string, int> emitted(const fs::path& dir) {
  std::map<std::string, int> out;
  std::string error;
  auto store = artery::MessageStore::open(dir / "data/artery.db", artery::Durability::normal, error);
  if (!store) return out;
  artery::MessageQuery query;
  query.channel = "sync";
  query.limit = 100000;
  for (const auto& m : store->search(query)) {
    auto attributes = json::parse(m.attributes_json);
    std::string id;
    if (attributes.is_object()) {
      if (const auto* v = attributes.as_object().if_contains("fhir.id"); v && v->is_string()) id = v->as_string();
    } else if (attributes.is_array()) {
      for (const auto& pair : attributes.as_array())
        if (pair.is_array() && pair.as_array().size() == 2 && pair.as_array()[0] == "fhir.id")
          id = pair.as_array()[1].as_string();
    }
    ++out[id];
  }
  return out;
}

// Messages the file destination has written so far (one line each), for
// waiting while the engine runs; the store is read once it has stopped.
std::size_t written(const fs::path& dir) { return count_lines(dir / "out/all.ndjson"); }

std::size_t total(const std::map<std::string, int>& counts) {
  std::size_t n = 0;
  for (const auto& [id, count] : counts) n += static_cast<std::size_t>(count);
  return n;
}

}  // namespace

TEST_CASE("fhir poll source across restarts (SIGTERM and SIGKILL) emits every resource once and skips none",
          "[fhir][client][poll][integration]") {
  TempDir dir("artery-fhir-poll");
  FhirAuthServer server(free_port(), dir.path(), {"--bearer", "sync-token", "--page-size", "3"});
  // ge, not gt: a Patient written at the very instant of the mark after a
  // poll still comes; the ids kept at the mark stop the ones already handed over.
  write_text(dir / "channels/sync.yaml",
             "name: sync\nsource:\n  type: fhir\n  mode: poll\n  url: " + server.base(false) +
                 "/fhir\n  resource_type: Patient\n  search: \"${type}?_lastUpdated=ge${mark}&_sort=_lastUpdated\"\n"
                 "  interval: 200ms\n  auth: {type: bearer, token: sync-token}\n"
                 "destinations:\n  - name: out\n    type: file\n    directory: " + (dir / "out").string() +
                 "\n    filename: all.ndjson\n    mode: append\n    separator: \"\\n\"\n");
  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  const std::vector<std::string> args{"run", "--channels", (dir / "channels").string(), "--data",
                                      (dir / "data").string()};

  std::set<std::string> expected;
  auto expect = [&](const std::vector<std::string>& ids) { expected.insert(ids.begin(), ids.end()); };
  expect(add_patients(server.port(), 4, false));
  expect(add_patients(server.port(), 4, true));  // four at one instant, across a page boundary
  auto settled = [&](std::size_t n) { return eventually([&] { return written(dir.path()) >= n; }); };

  {
    EngineProcess engine(args, dir / "engine1.log");
    INFO(engine.log());
    REQUIRE(settled(expected.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));  // more polls: nothing new
    CHECK(engine.stop(SIGTERM) == 0);
  }
  CHECK(emitted(dir.path()).size() == expected.size());
  CHECK(total(emitted(dir.path())) == expected.size());

  // While the engine is down: more, some again at one instant.
  expect(add_patients(server.port(), 5, false));
  expect(add_patients(server.port(), 3, true));
  {
    EngineProcess engine(args, dir / "engine2.log");
    INFO(engine.log());
    REQUIRE(settled(expected.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    CHECK(engine.stop(SIGKILL) == 128 + SIGKILL);  // no shutdown at all
  }
  expect(add_patients(server.port(), 7, false));
  {
    EngineProcess engine(args, dir / "engine3.log");
    INFO(engine.log());
    REQUIRE(settled(expected.size()));
    // Added while it runs: picked up by the next poll.
    expect(add_patients(server.port(), 2, true));
    REQUIRE(settled(expected.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    CHECK(engine.stop(SIGTERM) == 0);
  }

  const auto counts = emitted(dir.path());
  std::set<std::string> seen;
  for (const auto& [id, count] : counts) {
    INFO(id);
    CHECK(count == 1);
    seen.insert(id);
  }
  CHECK(seen == expected);
  CHECK(expected.size() == 25);
  // Every search carried the token and (after the first poll) the stored mark.
  const auto searches = server.events("fhir");
  REQUIRE(!searches.empty());
  for (const auto& e : searches) CHECK(text_of(e, "authorization") == "Bearer sync-token");
  CHECK(text_of(searches.front(), "path") == "/fhir/Patient?_sort=_lastUpdated");
  CHECK(text_of(searches.back(), "path").find("_lastUpdated=ge") != std::string::npos);
}

TEST_CASE("fhir poll source killed (SIGKILL) in the middle of a paged poll skips nothing and repeats at most the one"
          " message in hand-over",
          "[fhir][client][poll][integration]") {
  TempDir dir("artery-fhir-poll-kill");
  FhirAuthServer server(free_port(), dir.path(), {"--page-size", "5"});
  write_text(dir / "channels/sync.yaml",
             "name: sync\nsource:\n  type: fhir\n  mode: poll\n  url: " + server.base(false) +
                 "/fhir\n  resource_type: Patient\n  interval: 200ms\n"
                 "destinations:\n  - name: out\n    type: file\n    directory: " + (dir / "out").string() +
                 "\n    filename: all.ndjson\n    mode: append\n    separator: \"\\n\"\n");
  const std::vector<std::string> args{"run", "--channels", (dir / "channels").string(), "--data",
                                      (dir / "data").string()};
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    auto ids = add_patients(server.port(), 30, false);
    expected.insert(ids.begin(), ids.end());
  }
  int duplicates = 0;
  for (int round = 0; round < 3; ++round) {
    EngineProcess engine(args, dir / ("engine" + std::to_string(round) + ".log"));
    // Killed while the poll is still paging through the 300.
    const std::size_t target = 40 + 80 * static_cast<std::size_t>(round);
    REQUIRE(eventually([&] { return written(dir.path()) >= target; }));
    engine.stop(SIGKILL);
    const auto now = emitted(dir.path());
    duplicates = static_cast<int>(total(now) - now.size());
    CHECK(duplicates <= round + 1);  // at most one per kill
    CHECK(now.size() < expected.size());  // it was killed mid-poll
  }
  {
    EngineProcess engine(args, dir / "engine-last.log");
    REQUIRE(eventually([&] { return written(dir.path()) >= expected.size(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    CHECK(engine.stop(SIGTERM) == 0);
  }
  const auto counts = emitted(dir.path());
  std::set<std::string> seen;
  for (const auto& [id, count] : counts) seen.insert(id);
  CHECK(seen == expected);
  duplicates = static_cast<int>(total(counts) - counts.size());
  WARN("messages handed over twice across 3 kills mid-poll: " << duplicates);
  CHECK(duplicates <= 3);
}
