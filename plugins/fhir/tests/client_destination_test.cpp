// The fhir destination as a channel author uses it: channel YAML with a file
// source and a `fhir` destination, `artery validate`, `artery run`, and a
// FHIR server + token endpoint served by the test over real HTTP and HTTPS
// (tests/fixtures/fhir_auth/fhir_auth_server.py) that checks every client
// assertion's signature, claims and jti. The outcome is read back from the
// engine's store once it has stopped: state, attempts, the response JSON, the error.
#include "client_test_server.hpp"

#include "store/message_store.hpp"
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace artery::testing;
using namespace artery::fhir::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string patient(const std::string& family, const std::string& birth = "1970-01-01") {
  return R"({"resourceType":"Patient","name":[{"family":")" + family + R"("}],"birthDate":")" + birth + "\"}";
}

std::string channel_yaml(const fs::path& dir, const std::string& destination) {
  return "name: push\nsource:\n  type: file\n  data_type: json\n  directory: " + (dir / "in").string() +
         "\n  glob: \"*.json\"\n  poll_interval: 100ms\n  min_age: 0s\ndestinations:\n  - name: ehr\n    type: fhir\n"
         "    retry: {max: 4, initial: 100ms, max_delay: 200ms}\n" + destination;
}

// Writes the files one by one (in name order, so they reach the server in that order).
void drop(const fs::path& dir, const std::vector<std::string>& bodies) {
  fs::create_directories(dir / "in");
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    const auto name = "m" + std::to_string(10 + i);
    write_text(dir / "in" / (name + ".tmp"), bodies[i]);
    fs::rename(dir / "in" / (name + ".tmp"), dir / "in" / (name + ".json"));
  }
}

std::vector<artery::MessageRecord> stored(const fs::path& dir) {
  std::string error;
  auto store = artery::MessageStore::open(dir / "data/artery.db", artery::Durability::normal, error);
  REQUIRE(store);
  artery::MessageQuery query;
  query.channel = "push";
  query.limit = 1000;
  std::vector<artery::MessageRecord> out;
  for (const auto& summary : store->search(query)) out.push_back(*store->get(summary.id));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

struct Run {
  fs::path dir;
  std::unique_ptr<EngineProcess> engine;
  void start(const std::string& destination) {
    write_text(dir / "channels/push.yaml", channel_yaml(dir, destination));
    std::string output;
    INFO(output);
    REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
  void stop() {
    INFO(engine->log());
    CHECK(engine->stop(SIGTERM) == 0);
  }
};

std::size_t count_status(const std::vector<json::object>& events, int status) {
  std::size_t n = 0;
  for (const auto& e : events)
    if (e.at("status").as_int64() == status) ++n;
  return n;
}

}  // namespace

TEST_CASE("fhir destination with SMART Backend Services RS384 over https with discovery, token reuse, refresh on 401, "
          "Retry-After on 503",
          "[fhir][client][integration]") {
  TempDir dir("artery-fhir-smart");
  make_client_keys(dir / "keys");
  const auto& certificates = TestCertificates::get();
  // tok-1 is good for two requests, then revoked; the first write is answered 503 Retry-After: 2.
  FhirAuthServer server(free_port(), dir.path(),
                        {"--public-key", (dir / "keys/rsa.pub").string(), "--alg", "RS384", "--kid", "key-1",
                         "--client-id", "artery-app", "--revoke-first-token-after", "2", "--unavailable-once", "2"},
                        certificates("server.pem"), certificates("server.key"));
  Run run{dir.path(), nullptr};
  run.start("    url: " + server.base(true) + "/fhir\n    tls: {ca: " + certificates("ca.pem") +
            "}\n    auth:\n      type: smart_backend\n      client_id: artery-app\n      private_key: " +
            (dir / "keys/rsa.key").string() + "\n      algorithm: RS384\n      kid: key-1\n"
            "      scope: system/Patient.write\n");
  drop(dir.path(), {patient("One"), patient("Two"), patient("Three"), patient("Four")});
  REQUIRE(eventually([&] { return count_status(server.events("fhir"), 201) == 4; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the last SENT recorded
  run.stop();

  const auto tokens = server.events("token");
  INFO(json::serialize(json::value_from(tokens)));
  // Two tokens: the first reused until the server revoked it, then one fresh one.
  REQUIRE(tokens.size() == 2);
  for (const auto& t : tokens) {
    CHECK(t.at("status").as_int64() == 200);
    CHECK(text_of(t, "auth") == "assertion");
    CHECK(text_of(t, "scope") == "system/Patient.write");
  }
  CHECK(server.events("discovery").size() == 1);

  const auto fhir = server.events("fhir");
  INFO(json::serialize(json::value_from(fhir)));
  // 503, then the same POST again after the 2 s Retry-After (not the channel's 100 ms backoff).
  REQUIRE(fhir.size() >= 6);
  CHECK(fhir[0].at("status").as_int64() == 503);
  CHECK(fhir[1].at("status").as_int64() == 201);
  CHECK(fhir[1].at("time").as_double() - fhir[0].at("time").as_double() >= 1.9);
  CHECK(text_of(fhir[0], "authorization") == "Bearer tok-1");
  CHECK(text_of(fhir[1], "authorization") == "Bearer tok-1");
  // The third request carried the revoked tok-1 (401); the same write went again with tok-2.
  CHECK(fhir[2].at("status").as_int64() == 401);
  CHECK(text_of(fhir[3], "authorization") == "Bearer tok-2");
  CHECK(fhir[3].at("status").as_int64() == 201);
  CHECK(count_status(fhir, 401) == 1);

  const auto messages = stored(dir.path());
  REQUIRE(messages.size() == 4);
  for (const auto& m : messages) {
    REQUIRE(m.deliveries.size() == 1);
    const auto& d = m.deliveries[0];
    CHECK(d.state == artery::MessageState::sent);
    CHECK(d.attempts == 1);
    auto response = json::parse(d.response).as_object();
    CHECK(response.at("status").as_int64() == 201);
    CHECK(text_of(response, "version") == "1");
    const std::string id = text_of(response, "id");
    CHECK(id.rfind("p", 0) == 0);
    CHECK(text_of(response, "location") == server.base(true) + "/fhir/Patient/" + id + "/_history/1");
    CHECK(text_of(response.at("body").as_object(), "id") == id);
  }
}

TEST_CASE("fhir destination with SMART ES384 (raw R||S), a configured token_url, and a 422 is a rejection with "
          "the OperationOutcome's text",
          "[fhir][client][integration]") {
  TempDir dir("artery-fhir-es384");
  make_client_keys(dir / "keys");
  FhirAuthServer server(free_port(), dir.path(),
                        {"--public-key", (dir / "keys/ec.pub").string(), "--alg", "ES384", "--kid", "ec-1",
                         "--client-id", "artery-ec", "--token-lifetime", "3600"});
  Run run{dir.path(), nullptr};
  run.start("    url: " + server.base(false) + "/fhir\n    auth:\n      type: smart_backend\n      client_id: artery-ec\n"
            "      private_key: " + (dir / "keys/ec.key").string() + "\n      algorithm: ES384\n      kid: ec-1\n"
            "      token_url: " + server.base(false) + "/token\n");
  drop(dir.path(), {patient("Good"), patient("Bad", "not-a-date"), patient("Also good")});
  REQUIRE(eventually([&] { return count_status(server.events("fhir"), 201) == 2; }, std::chrono::seconds(30)));
  REQUIRE(eventually([&] { return count_status(server.events("fhir"), 422) == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  run.stop();

  CHECK(server.events("discovery").empty());  // token_url was given
  const auto tokens = server.events("token");
  REQUIRE(tokens.size() == 1);  // one token (an hour's lifetime) for all three writes
  CHECK(tokens[0].at("status").as_int64() == 200);
  CHECK(count_status(server.events("fhir"), 422) == 1);  // asked once: a rejection is not retried

  const auto messages = stored(dir.path());
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].deliveries[0].state == artery::MessageState::sent);
  CHECK(messages[2].deliveries[0].state == artery::MessageState::sent);
  const auto& bad = messages[1].deliveries[0];
  CHECK(bad.state == artery::MessageState::error);
  CHECK(bad.attempts == 1);
  CHECK_THAT(bad.error, Catch::Contains("rejected") && Catch::Contains("answered 422") &&
                            Catch::Contains("Patient.birthDate: 'not-a-date' is not a date"));
  CHECK(json::parse(bad.response).as_object().at("status").as_int64() == 422);
}

TEST_CASE("fhir destination with client_credentials (secret), bearer and basic, and a wrong secret is retried, "
          "never sent",
          "[fhir][client][integration]") {
  TempDir dir("artery-fhir-secret");
  FhirAuthServer oauth(free_port(), dir.path(), {"--client-id", "app", "--client-secret", "s3cret"});
  FhirAuthServer bearer(free_port(), dir.path(), {"--bearer", "fixed-token"});
  FhirAuthServer basic(free_port(), dir.path(), {"--basic", "alice:pa:ss"});
  FhirAuthServer refusing(free_port(), dir.path(), {"--client-id", "app", "--client-secret", "other"});
  const std::string retry = "    retry: {max: 2, initial: 100ms, max_delay: 100ms}\n";
  write_text(dir / "channels/push.yaml",
             channel_yaml(dir.path(), "    url: " + oauth.base(false) + "/fhir\n    auth: {type: client_credentials, "
                                      "client_id: app, client_secret: s3cret, scope: system/*.write}\n") +
                 "  - name: bearer\n    type: fhir\n" + retry + "    url: " + bearer.base(false) +
                 "/fhir\n    auth: {type: bearer, token: fixed-token}\n"
                 "  - name: basic\n    type: fhir\n" + retry + "    url: " + basic.base(false) +
                 "/fhir\n    auth: {type: basic, username: alice, password: \"pa:ss\"}\n"
                 "  - name: refused\n    type: fhir\n" + retry + "    url: " + refusing.base(false) +
                 "/fhir\n    auth: {type: client_credentials, client_id: app, client_secret: wrong}\n");
  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  drop(dir.path(), {patient("A"), patient("B")});
  INFO(engine.log());
  REQUIRE(eventually([&] {
    return count_status(oauth.events("fhir"), 201) == 2 && count_status(bearer.events("fhir"), 201) == 2 &&
           count_status(basic.events("fhir"), 201) == 2;
  }));
  // The refused destination: 3 attempts each (max: 2 retries), then ERROR.
  REQUIRE(eventually([&] { return refusing.events("token").size() == 6; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(engine.stop(SIGTERM) == 0);

  const auto tokens = oauth.events("token");
  REQUIRE(tokens.size() == 1);  // reused for both writes
  CHECK(text_of(tokens[0], "auth") == "secret");
  for (const auto& e : oauth.events("fhir")) CHECK(text_of(e, "authorization") == "Bearer tok-1");
  for (const auto& e : bearer.events("fhir")) CHECK(text_of(e, "authorization") == "Bearer fixed-token");
  CHECK(count_status(basic.events("fhir"), 401) == 0);
  CHECK(refusing.events("fhir").empty());  // never sent without a token
  CHECK(refusing.events("token").size() == 6);
  for (const auto& m : stored(dir.path()))
    for (const auto& d : m.deliveries)
      if (d.destination == "refused") CHECK_THAT(d.error, Catch::Contains("invalid_client"));
      else CHECK(d.state == artery::MessageState::sent);
}

TEST_CASE("fhir destination over https to a server whose certificate no trusted CA signed is an error and never sent",
          "[fhir][client][integration][tls]") {
  TempDir dir("artery-fhir-untrusted");
  const auto& certificates = TestCertificates::get();
  // A self-signed "Other CA" certificate: not signed by tls.ca (nor by the system's CAs).
  FhirAuthServer server(free_port(), dir.path(), {}, certificates("other.pem"), certificates("other.key"));
  Run run{dir.path(), nullptr};
  run.start("    url: " + server.base(true) + "/fhir\n    tls: {ca: " + certificates("ca.pem") + "}\n");
  drop(dir.path(), {patient("Nobody")});
  INFO(run.engine->log());
  REQUIRE(run.engine->wait_for_log("failed after 5 attempts"));
  run.stop();
  const auto messages = stored(dir.path());
  CHECK(messages[0].deliveries[0].attempts == 5);  // the first try and max: 4 retries
  CHECK_THAT(messages[0].deliveries[0].error,
             Catch::Contains("TLS handshake") && Catch::Contains("certificate verify failed"));
  CHECK(server.events().empty());  // nothing reached the server's HTTP layer
}
