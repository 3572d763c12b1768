// The repository's Consent search, what the consent filter asks:
// Consent?patient=Patient/<id>&status=active&category=<system|code> (and
// scope), with Consent.patient indexed like other resources' subject.
#include "repository_fixture.hpp"

#include <set>

using namespace artery::testing;

namespace {

std::string consent(const std::string& patient, const std::string& status, const std::string& category,
                    const std::string& scope) {
  return R"({"resourceType":"Consent","status":")" + status +
         R"(","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":")" + scope +
         R"("}]},"category":[{"coding":[{"system":"http://loinc.org","code":")" + category +
         R"("}]}],"patient":{"reference":")" + patient + R"("},"provision":{"type":"permit"}})";
}

std::set<std::string> ids(const HttpReply& reply) {
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  std::set<std::string> out;
  auto bundle = json_of(reply);
  if (bundle.contains("entry"))
    for (const auto& e : bundle.at("entry").as_array()) out.insert(str(e.at("resource").at("id")));
  return out;
}

}  // namespace

TEST_CASE("fhir repository: Consent by patient, status, category and scope") {
  FhirRepository repo("  resource_types: [Patient, Consent]\n");
  auto create = [&](const std::string& body) {
    auto reply = repo.call("POST", "/Consent", body);
    INFO(reply.body);
    REQUIRE(reply.status == 201);
    return str(json_of(reply).at("id"));
  };
  const std::string a = create(consent("Patient/p1", "active", "59284-0", "patient-privacy"));
  const std::string b = create(consent("Patient/p1", "inactive", "59284-0", "patient-privacy"));
  const std::string c = create(consent("Patient/p1", "active", "64292-6", "research"));
  const std::string d = create(consent("Patient/p2", "active", "59284-0", "patient-privacy"));

  CHECK(ids(repo.call("GET", "/Consent?patient=Patient/p1")) == std::set<std::string>{a, b, c});
  CHECK(ids(repo.call("GET", "/Consent?patient=Patient%2Fp1&status=active&category=http%3A%2F%2Floinc.org%7C59284-0")) ==
        std::set<std::string>{a});
  CHECK(ids(repo.call("GET", "/Consent?patient=p1&status=active&category=64292-6")) == std::set<std::string>{c});
  CHECK(ids(repo.call("GET", "/Consent?patient=Patient/p1,Patient/p2&status=active&scope=patient-privacy")) ==
        std::set<std::string>{a, d});
  require_outcome(repo.call("GET", "/Consent?purpose=HRESCH"), 400);  // not a parameter here: said, not ignored
}
