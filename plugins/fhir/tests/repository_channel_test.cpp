// The repository and its channel: a script that filters or fails decides the
// HTTP answer and nothing is kept; the seed Bundle fills an empty repository
// once; what the repository returns validates as FHIR R4 with a third-party
// validator (tests/fhir_validator).
#include "repository_fixture.hpp"
#include "support/fhir_validation.hpp"

using namespace artery::testing;

namespace {

void require_valid(const HttpReply& reply) {
  INFO(reply.body);
  auto problems = fhir_validation_problems(reply.body);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  REQUIRE(problems.empty());
}

}  // namespace

TEST_CASE("fhir repository: the channel script's filter is 422, its error 500 with the first line, nothing kept") {
  TempDir scripts{"artery-fhir-script"};
  write_text(scripts / "gate.lua", R"(local M = {}
function M.filter(msg, ctx)
  if msg.resourceType == "Patient" and msg.gender == "unknown" then return false end
  if msg.resourceType == "Patient" and msg.gender == "other" then error("no patients of gender other\nsecond line") end
  return true
end
return M
)");
  FhirRepository repo("", "script: " + (scripts / "gate.lua").string() + "\n");
  auto filtered = repo.call("POST", "/Patient", R"({"resourceType":"Patient","gender":"unknown"})");
  require_outcome(filtered, 422);
  CHECK(filtered.body.find("refused by the channel's filter") != std::string::npos);
  auto failed = repo.call("POST", "/Patient", R"({"resourceType":"Patient","gender":"other"})");
  require_outcome(failed, 500);
  CHECK(failed.body.find("no patients of gender other") != std::string::npos);
  CHECK(failed.body.find("second line") == std::string::npos);
  CHECK(repo.call("POST", "/Patient", R"({"resourceType":"Patient","gender":"female"})").status == 201);
  CHECK(json_of(repo.call("GET", "/Patient")).at("total").as_int64() == 1);
}

TEST_CASE("fhir repository: the seed Bundle loads into an empty repository at first start only") {
  TempDir seed_dir{"artery-fhir-seed"};
  write_text(seed_dir / "seed.json", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:3f1e2d4c-0000-4000-8000-000000000001","resource":{"resourceType":"Organization","id":"hospital","name":"St. Artery"},
     "request":{"method":"PUT","url":"Organization/hospital"}},
    {"fullUrl":"urn:uuid:3f1e2d4c-0000-4000-8000-000000000002","resource":{"resourceType":"Patient","name":[{"family":"Seeded"}],
     "managingOrganization":{"reference":"urn:uuid:3f1e2d4c-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"Patient"}}]})");
  FhirRepository repo("  seed: " + (seed_dir / "seed.json").string() + "\n");
  CHECK(repo.engine->log().find("seeded the empty repository with 2 resources") != std::string::npos);
  auto patients = json_of(repo.call("GET", "/Patient?family=Seeded"));
  REQUIRE(patients.at("total").as_int64() == 1);
  CHECK(str(patients.at("entry").at(0).at("resource").at("managingOrganization").at("reference")) ==
        "Organization/hospital");
  repo.restart();
  CHECK(json_of(repo.call("GET", "/Patient")).at("total").as_int64() == 1);
}

TEST_CASE("fhir repository: resources, Bundles and the CapabilityStatement it returns are valid FHIR R4") {
  FhirRepository repo;
  auto created = repo.call("POST", "/Patient", R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"V-1"}],
    "name":[{"family":"Valid","given":["Vera"]}],"gender":"female","birthDate":"1980-05-06"})");
  REQUIRE(created.status == 201);
  require_valid(created);
  const std::string id = str(json_of(created).at("id"));
  auto obs = repo.call("POST", "/Observation", R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"718-7","display":"Hemoglobin"}]},
    "subject":{"reference":"Patient/)" + id + R"("},"effectiveDateTime":"2024-03-01T10:00:00Z",
    "valueQuantity":{"value":13.2,"unit":"g/dL","system":"http://unitsofmeasure.org","code":"g/dL"}})");
  REQUIRE(obs.status == 201);
  require_valid(repo.call("GET", "/Patient/" + id));
  require_valid(repo.call("GET", "/Observation?_include=Observation:subject"));
  repo.call("DELETE", "/Observation/" + str(json_of(obs).at("id")));
  require_valid(repo.call("GET", "/Observation/" + str(json_of(obs).at("id")) + "/_history"));
  require_valid(repo.call("GET", "/Patient/nope"));
  require_valid(repo.call("GET", "/metadata"));
  auto tx = repo.call("POST", "", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:5b8e0f8a-1111-4a4a-9c9c-000000000001","resource":{"resourceType":"Patient","name":[{"family":"Tx"}]},
     "request":{"method":"POST","url":"Patient"}}]})");
  REQUIRE(tx.status == 200);
  require_valid(tx);
}
