// ConsentFilter (engine/src/consent/consent_filter.cpp): how the patient and
// the message time are read out of a message before the lookup. HL7 v2 by
// path (PID-3.1 as an identifier, `at: MSH-7`), FHIR JSON by path
// (subject.reference as a reference, the class defaulting to the resource
// type), against a FHIR-shaped server on loopback.
#include "consent/consent_filter.hpp"
#include "support/loopback.hpp"

#include <artery/http_server.hpp>
#include <artery/message.hpp>

#include <catch2/catch.hpp>

#include <mutex>

using namespace artery;

namespace {

// Patient p1's opt-out with a nested permit for Observations of the first half of 2026.
const std::string kConsent = R"({"resourceType":"Consent","id":"c9","status":"active",
  "patient":{"reference":"Patient/p1"},
  "provision":{"type":"deny","provision":[{"type":"permit",
    "class":[{"system":"http://hl7.org/fhir/resource-types","code":"Observation"}],
    "period":{"start":"2026-01-01","end":"2026-06-30"}}]}})";

struct FakeFhir {
  int port = artery::testing::free_port();
  std::mutex mutex;
  std::vector<std::string> targets;
  std::unique_ptr<HttpServer> server;
  FakeFhir() {
    HttpRouter router;
    router.add("GET", "/fhir/{type}", [this](const HttpRequest& request) {
      {
        std::lock_guard lock(mutex);
        targets.push_back(request.target);
      }
      std::string entries = request.path == "/fhir/Patient" ? R"({"resource":{"resourceType":"Patient","id":"p1"}})"
                                                             : R"({"resource":)" + kConsent + "}";
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
};

ConsentFilterConfig config_for(const FakeFhir& fhir) {
  ConsentFilterConfig c;
  c.server = c.base_url = "http://127.0.0.1:" + std::to_string(fhir.port) + "/fhir";
  c.cache_ttl = std::chrono::milliseconds(0);
  return c;
}

std::string oru(const std::string& msh7, const std::string& obx_free = "") {
  return "MSH|^~\\&|LAB|RGH|ARTERY|RGH|" + msh7 + "||ORU^R01|C1|P|2.5\rPID|1||RGH100231^^^RGH^MR\rOBX|1|NM|x||1" +
         obx_free + "\r";
}

}  // namespace

TEST_CASE("consent filter: HL7 patient by identifier, message time from MSH-7") {
  FakeFhir fhir;
  auto c = config_for(fhir);
  c.patient = "PID-3.1";
  c.patient_is_hl7 = true;
  c.identifier_system = "https://rgh.example/mrn";
  c.at = "MSH-7";
  c.data_class = "Observation";
  consent::ConsentFilter filter(c);
  auto inside = filter.check(oru("20260301120000"), data_type::hl7v2, 0);
  CHECK(inside.share);
  CHECK(inside.reason.find("Consent/c9 permits: nested provision 1 (permit, class Observation)") == 0);
  auto after = filter.check(oru("20260801120000"), data_type::hl7v2, 0);
  CHECK_FALSE(after.share);
  CHECK(after.reason.find("Consent/c9 denies") == 0);
  std::lock_guard lock(fhir.mutex);
  REQUIRE(fhir.targets.size() == 4);  // cache_ttl 0: every message asks
  CHECK(fhir.targets[0] == "/fhir/Patient?identifier=https%3A%2F%2Frgh.example%2Fmrn%7CRGH100231");
}

TEST_CASE("consent filter: FHIR JSON patient by reference, the class is the resource type") {
  FakeFhir fhir;
  auto c = config_for(fhir);
  c.patient = "subject.reference";
  c.at = "effectiveDateTime";
  consent::ConsentFilter filter(c);
  auto obs = filter.check(
      R"({"resourceType":"Observation","subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-02-03T10:00:00Z"})",
      data_type::json, 0);
  CHECK(obs.share);
  auto med = filter.check(
      R"({"resourceType":"MedicationRequest","subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-02-03"})",
      data_type::json, 0);
  CHECK_FALSE(med.share);
  auto nobody = filter.check(R"({"resourceType":"Observation"})", data_type::json, 0);
  CHECK_FALSE(nobody.share);
  CHECK(nobody.reason == "no patient at subject.reference: default deny");
  auto group = filter.check(R"({"resourceType":"Observation","subject":{"reference":"Group/g1"}})", data_type::json, 0);
  CHECK_FALSE(group.share);
  CHECK(group.reason.find("is not a Patient reference") != std::string::npos);
  std::lock_guard lock(fhir.mutex);
  CHECK(fhir.targets.size() == 2);  // no lookup without a Patient
  CHECK(fhir.targets[0] == "/fhir/Consent?patient=Patient%2Fp1&status=active");
}
