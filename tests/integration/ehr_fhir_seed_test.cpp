// channels/seed/ehr-fhir-seed.json, the data set the ehr-fhir repository is
// loaded with at its first start: what the issue promises is in it, its
// entries refer to each other only through the Bundle's urn:uuid fullUrls,
// and every resource is valid FHIR R4 by a third-party validator.
#include "support/engine_process.hpp"
#include "support/fhir_validation.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

json::object seed_bundle() {
  return json::parse(read_text(fs::path(ARTERY_SOURCE_DIR) / "channels/seed/ehr-fhir-seed.json")).as_object();
}

// Every "reference" string anywhere below `value`.
void collect_references(const json::value& value, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.as_object()) {
      if (key == "reference" && child.is_string()) out.emplace_back(child.as_string());
      collect_references(child, out);
    }
  } else if (value.is_array()) {
    for (const auto& child : value.as_array()) collect_references(child, out);
  }
}

std::string text_of(const json::value& value) { return value.is_string() ? std::string(value.as_string()) : ""; }

// The codings' codes of a CodeableConcept.
std::set<std::string> codes_of(const json::value& codeable) {
  std::set<std::string> out;
  if (!codeable.is_object() || !codeable.as_object().contains("coding")) return out;
  for (const auto& coding : codeable.at("coding").as_array()) out.insert(text_of(coding.at("code")));
  return out;
}

}  // namespace

TEST_CASE("the ehr-fhir seed holds the hospital, its staff, patients, encounters, results and prescriptions",
          "[integration][fhir][seed]") {
  const auto bundle = seed_bundle();
  CHECK(bundle.at("resourceType").as_string() == "Bundle");
  CHECK(bundle.at("type").as_string() == "transaction");
  std::map<std::string, int> count;
  std::set<std::string> full_urls;
  for (const auto& entry : bundle.at("entry").as_array()) {
    const auto& resource = entry.at("resource").as_object();
    ++count[std::string(resource.at("resourceType").as_string())];
    const std::string full_url = text_of(entry.at("fullUrl"));
    CHECK(full_url.rfind("urn:uuid:", 0) == 0);
    CHECK(full_urls.insert(full_url).second);  // unique
    CHECK(entry.at("request").at("method").as_string() == "POST");
    CHECK(entry.at("request").at("url").as_string() == resource.at("resourceType").as_string());
    CHECK_FALSE(resource.contains("id"));  // the repository assigns ids
  }
  CHECK(count == std::map<std::string, int>{{"Organization", 1},
                                            {"Practitioner", 4},
                                            {"PractitionerRole", 4},
                                            {"Patient", 3},
                                            {"Encounter", 3},
                                            {"Observation", 5},
                                            {"MedicationRequest", 3},
                                            {"Consent", 2}});

  // References stay inside the Bundle: each one names an entry's fullUrl.
  std::vector<std::string> references;
  collect_references(bundle.at("entry"), references);
  CHECK(references.size() > 40);
  for (const auto& reference : references) {
    INFO(reference);
    CHECK(full_urls.count(reference) == 1);
  }
}

TEST_CASE("the ehr-fhir seed's staff, patients, results and prescriptions carry what a clinician relies on",
          "[integration][fhir][seed]") {
  const auto bundle = seed_bundle();
  std::set<std::string> role_codes;
  for (const auto& entry : bundle.at("entry").as_array()) {
    const auto& resource = entry.at("resource").as_object();
    const std::string type(resource.at("resourceType").as_string());
    INFO(type << " " << text_of(entry.at("fullUrl")));
    if (type == "PractitionerRole") {
      for (const auto& code : resource.at("code").as_array())
        for (const auto& c : codes_of(code)) role_codes.insert(c);
      CHECK(resource.contains("practitioner"));
      CHECK(resource.contains("organization"));
    } else if (type == "Patient") {
      // An identifier with a system (NHS number), a name, birth date, gender, address, telecom.
      bool nhs_number = false;
      for (const auto& identifier : resource.at("identifier").as_array())
        nhs_number |= text_of(identifier.at("system")) == "https://fhir.nhs.uk/Id/nhs-number" &&
                      text_of(identifier.at("value")).size() == 10;
      CHECK(nhs_number);
      CHECK(resource.contains("name"));
      CHECK(resource.contains("birthDate"));
      CHECK(resource.contains("gender"));
      CHECK(resource.contains("address"));
      CHECK(resource.contains("telecom"));
    } else if (type == "Observation") {
      CHECK(resource.at("code").at("coding").at(0).at("system").as_string() == "http://loinc.org");
      CHECK(resource.at("valueQuantity").at("system").as_string() == "http://unitsofmeasure.org");
      CHECK(resource.contains("referenceRange"));
      CHECK(resource.contains("subject"));
      CHECK(resource.contains("effectiveDateTime"));
    } else if (type == "MedicationRequest") {
      const std::string system(resource.at("medicationCodeableConcept").at("coding").at(0).at("system").as_string());
      CHECK((system == "https://dmd.nhs.uk" || system == "http://www.nlm.nih.gov/research/umls/rxnorm"));
      CHECK(resource.at("dosageInstruction").as_array().size() >= 1);
      CHECK(text_of(resource.at("note").at(0).at("text")).size() > 20);
      CHECK(resource.contains("requester"));
    } else if (type == "Encounter") {
      CHECK(resource.at("class").at("system").as_string() == "http://terminology.hl7.org/CodeSystem/v3-ActCode");
      CHECK(resource.contains("subject"));
      CHECK(resource.contains("period"));
    }
  }
  // Two doctors, a nurse and an administrator: SNOMED CT occupations.
  CHECK(role_codes.count("309343006") == 1);  // physician
  CHECK(role_codes.count("224535009") == 1);  // registered nurse
  CHECK(role_codes.count("224608005") == 1);  // administrative healthcare staff
}

TEST_CASE("every resource of the ehr-fhir seed is valid FHIR R4 by the fhir npm package's validator",
          "[integration][fhir][seed][validator]") {
  const auto bundle = seed_bundle();
  {
    const auto problems = fhir_validation_problems(json::serialize(bundle));
    INFO("the Bundle:\n" << [&] {
      std::string all;
      for (const auto& p : problems) all += p + "\n";
      return all;
    }());
    CHECK(problems.empty());
  }
  for (const auto& entry : bundle.at("entry").as_array()) {
    const auto problems = fhir_validation_problems(json::serialize(entry.at("resource")));
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    INFO(text_of(entry.at("fullUrl")) << " " << entry.at("resource").at("resourceType").as_string() << ":\n" << all);
    CHECK(problems.empty());
  }
}
