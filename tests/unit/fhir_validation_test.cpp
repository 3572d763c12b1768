// The third-party FHIR R4 validator the other tests rely on: it must accept
// the official R4 examples and refuse what R4 forbids, or its "valid" means nothing.
#include "support/fhir_validation.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using artery::testing::fhir_validation_problems;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("fhir validation: accepts every official R4 example in the fixtures") {
  const std::filesystem::path dir = std::filesystem::path(ARTERY_FIXTURES) / "samples/fhir";
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 8 || name.substr(name.size() - 8) != "_r4.json") continue;
    ++examples;
    auto problems = fhir_validation_problems(read_file(entry.path()));
    INFO(name);
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
  }
  CHECK(examples == 11);
}

TEST_CASE("fhir validation: refuses a missing required element, wrong types and a bad date") {
  auto problems = fhir_validation_problems(R"({"resourceType":"Observation","code":{"text":"glucose"},
    "valueQuantity":{"value":"6.3","unit":"mmol/L"},"effectiveDateTime":"2013-13-45",
    "subject":{"reference":"Patient/f001"}})");
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(mentions(problems, "Observation.status: Missing property"));
  CHECK(mentions(problems, "Observation.valueQuantity.value: Number type expected"));
  CHECK(mentions(problems, "invalid dateTime \"2013-13-45\""));
}

TEST_CASE("fhir validation: refuses unknown elements, codes outside a required value set and non-arrays") {
  auto problems =
      fhir_validation_problems(R"({"resourceType":"Patient","gender":"M","name":{"family":"Doe"},"nickname":"JD"})");
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(mentions(problems, "Patient.gender: Code \"M\" not found in value set"));
  CHECK(mentions(problems, "Patient.name: Property is not an array"));
  CHECK(mentions(problems, "Patient.nickname: Unexpected property"));
}

TEST_CASE("fhir validation: refuses what the R4 JSON rules and Bundle invariants forbid") {
  auto problems = fhir_validation_problems(R"({"resourceType":"Bundle","type":"transaction","total":2,"entry":[
    {"fullUrl":"urn:uuid:8c6e1a06-0b3e-4c51-9a83-0c1a2b3c4d5e","resource":{"resourceType":"Patient","name":[{"family":""}]},
     "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"urn:uuid:8c6e1a06-0b3e-4c51-9a83-0c1a2b3c4d5f","resource":{"resourceType":"Observation","status":"final",
     "code":{"text":"x"},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000000"}}}]})");
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(mentions(problems, "bdl-1"));
  CHECK(mentions(problems, "bdl-3"));
  CHECK(mentions(problems, "an empty string is not allowed"));
  CHECK(mentions(problems, "resolves to no entry's fullUrl"));
}

TEST_CASE("fhir validation: finds the real error in a vendor's converted bundle") {
  // Microsoft FHIR-Converter's expected ORU output leaves out MessageHeader.source.endpoint, 1..1 in R4.
  auto problems = fhir_validation_problems(
      read_file(std::filesystem::path(ARTERY_FIXTURES) / "samples/fhir/converted_ms_LAB-ORU-1-expected.json"));
  CHECK(mentions(problems, "MessageHeader.source.endpoint: Missing property"));
}

TEST_CASE("fhir validation: text that is not JSON is a problem, not a pass") {
  auto problems = fhir_validation_problems("{\"resourceType\":\"Patient\"");
  REQUIRE(problems.size() == 1);
  CHECK(mentions(problems, "not JSON"));
}
