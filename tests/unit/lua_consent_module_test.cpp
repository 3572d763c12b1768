// consent.permits{...} from a script, against a real FHIR-shaped HTTP server
// on loopback (the engine's HttpServer answering canned searchsets): the
// search it sends (patient, status, category; bearer auth), the answer and
// reason, identifier resolution, the shared cache, a server that is down
// (false and the reason, or on_error = "allow"), and bad arguments.
#include "lua_script_file.hpp"
#include "lua/script.hpp"
#include "support/loopback.hpp"

#include <artery/http_server.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <mutex>

using namespace artery;
using namespace artery::lua;
using artery::testing::load;
using artery::testing::ScriptFile;

namespace {

const std::string kConsent = R"({"resourceType":"Consent","id":"c1","status":"active",
  "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
  "patient":{"reference":"Patient/p1"},"dateTime":"2026-01-12",
  "provision":{"type":"permit","period":{"start":"2026-01-12","end":"2030-12-31"},
    "provision":[{"type":"deny","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HRESCH"}]}]}})";

struct FakeFhir {
  std::unique_ptr<HttpServer> server;
  std::mutex mutex;
  std::vector<std::string> targets, authorizations;
  int port = artery::testing::free_port();

  FakeFhir() {
    HttpRouter router;
    router.add("GET", "/fhir/{type}", [this](const HttpRequest& request) {
      {
        std::lock_guard lock(mutex);
        targets.push_back(request.target);
        authorizations.push_back(request.headers.get("Authorization"));
      }
      std::string entries;
      if (request.path == "/fhir/Patient")
        entries = R"({"resource":{"resourceType":"Patient","id":"p1"}})";
      else if (request.target.find("Patient%2Fp1") != std::string::npos)
        entries = R"({"resource":)" + kConsent + "}";
      return HttpResponse::text(200, R"({"resourceType":"Bundle","type":"searchset","entry":[)" + entries + "]}",
                                "application/fhir+json");
    });
    HttpServerOptions options;
    options.port = static_cast<std::uint16_t>(port);
    server = std::make_unique<HttpServer>(options, std::move(router));
    std::string error;
    REQUIRE(server->start(error));
  }
  ~FakeFhir() { server->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/fhir"; }
};

// Runs `body` (which returns a table) as transform() and decodes what it returns.
boost::json::object run(const std::string& body) {
  ScriptFile file("local M = {}\nfunction M.transform(msg, ctx)\n" + body + "\nend\nreturn M\n");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({"{}", data_type::json}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  return boost::json::parse(*result.payload).as_object();
}

std::string permits(const std::string& args) {
  return "local ok, why = consent.permits{" + args + "}\nreturn json.encode({ok = ok, why = why})";
}

}  // namespace

TEST_CASE("lua consent: permits for treatment, denies research, with the reason and one search") {
  FakeFhir fhir;
  const std::string common = "server = '" + fhir.url() +
                             "', patient = 'Patient/p1', category = 'http://loinc.org|59284-0', at = '2026-06-01', "
                             "auth = {type = 'bearer', token = 's3cr3t'}, cache_ttl = '1m'";
  auto treat = run(permits(common + ", purpose = 'TREAT'"));
  CHECK(treat.at("ok").as_bool());
  CHECK(std::string(treat.at("why").as_string()) == "Consent/c1 permits");
  auto research = run(permits(common + ", purpose = 'HRESCH'"));
  CHECK_FALSE(research.at("ok").as_bool());
  CHECK(std::string(research.at("why").as_string()).find("Consent/c1 denies: nested provision 1") == 0);
  // The second call was answered from the cache.
  std::lock_guard lock(fhir.mutex);
  REQUIRE(fhir.targets.size() == 1);
  CHECK(fhir.targets[0] == "/fhir/Consent?patient=Patient%2Fp1&status=active&category=http%3A%2F%2Floinc.org%7C59284-0");
  CHECK(fhir.authorizations[0] == "Bearer s3cr3t");
}

TEST_CASE("lua consent: an identifier is resolved to the Patient first, an expired time is the default") {
  FakeFhir fhir;
  auto later = run(permits("server = '" + fhir.url() +
                           "', patient = 'RGH100231', identifier_system = 'https://rgh.example/mrn', at = "
                           "'20310201120000', purpose = 'TREAT', default = 'permit'"));
  CHECK(later.at("ok").as_bool());
  CHECK(std::string(later.at("why").as_string()).find("Consent/c1 expired 2030-12-31") != std::string::npos);
  std::lock_guard lock(fhir.mutex);
  REQUIRE(fhir.targets.size() == 2);
  CHECK(fhir.targets[0] == "/fhir/Patient?identifier=https%3A%2F%2Frgh.example%2Fmrn%7CRGH100231");
}

TEST_CASE("lua consent: a server that is down answers false and why, or on_error allow") {
  const std::string dead = "http://127.0.0.1:" + std::to_string(artery::testing::free_port()) + "/fhir";
  auto down = run(permits("server = '" + dead + "', patient = 'Patient/p1'"));
  CHECK_FALSE(down.at("ok").as_bool());
  CHECK(std::string(down.at("why").as_string()).find("consent lookup failed (on_error: deny): Consent search failed") ==
        0);
  CHECK(run(permits("server = '" + dead + "', patient = 'Patient/p1', on_error = 'allow'")).at("ok").as_bool());
}

TEST_CASE("lua consent: bad arguments are errors naming what is wrong") {
  auto error_of = [](const std::string& body) {
    ScriptFile file("local M = {}\nfunction M.transform(msg, ctx)\n" + body + "\nend\nreturn M\n");
    auto script = load(file);
    ScriptContext ctx;
    auto result = script->process({"{}", data_type::json}, ctx);
    REQUIRE(result.status == ScriptResult::Status::error);
    return result.error;
  };
  CHECK_THAT(error_of("consent.permits('Patient/1')"), Catch::Contains("expected a table"));
  CHECK_THAT(error_of("consent.permits{patient = 'Patient/1'}"), Catch::Contains("'server' is required"));
  CHECK_THAT(error_of("consent.permits{server = 'no-such-channel', patient = 'Patient/1'}"),
             Catch::Contains("neither an http(s) URL nor a channel with a FHIR listener"));
  CHECK_THAT(error_of("consent.permits{server = 'http://127.0.0.1:1/fhir', patient = 'Patient/1', at = 'soon'}"),
             Catch::Contains("'at' is not a FHIR or HL7 time"));
  CHECK_THAT(error_of("consent.permits{server = 'http://127.0.0.1:1/fhir', patient = 'Patient/1', default = 'maybe'}"),
             Catch::Contains("'default' is deny or permit"));
}
