// The `fhir` script module: paths, references, bundles and outcomes, run in
// the engine's real script runtime and checked with the third-party validator.
#include "lua_script_file.hpp"
#include "lua/script.hpp"
#include "support/fhir_validation.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

using namespace artery;
using namespace artery::lua;
using artery::testing::fhir_validation_problems;
using artery::testing::load;
using artery::testing::ScriptFile;

namespace {

// Runs `body` as transform(msg) on a JSON input and returns its result payload.
std::string run(const std::string& body, const std::string& input = "{}") {
  ScriptFile file("local M = {}\nfunction M.transform(msg, ctx)\n" + body + "\nend\nreturn M\n");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({input, data_type::json}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  return *result.payload;
}

std::string run_error(const std::string& body) {
  ScriptFile file("local M = {}\nfunction M.transform(msg, ctx)\n" + body + "\nend\nreturn M\n");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({"{}", data_type::json}, ctx);
  REQUIRE(result.status == ScriptResult::Status::error);
  return result.error;
}

void require_valid(const std::string& json) {
  auto problems = fhir_validation_problems(json);
  INFO(json);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

const char* kPatient = R"({"resourceType":"Patient","id":"example",
  "name":[{"family":"Chalmers","given":["Peter","James"]},{"use":"maiden","family":"Windsor"}],
  "telecom":[{"system":"phone","value":"(03) 5555 6473"}],"birthDate":"1974-12-25"})";

}  // namespace

TEST_CASE("lua fhir: get follows names, 0-based indexes and first items of lists") {
  const std::string out = run(R"(
  return { fhir.get(msg, "name[0].family"), fhir.get(msg, "name[1].family"), fhir.get(msg, "name.given"),
           fhir.get(msg, "name[0].given[1]"), fhir.get(msg, "birthDate"), tostring(fhir.get(msg, "name[5].family")),
           tostring(fhir.get(msg, "gender")), tostring(fhir.get(msg, "birthDate.value")), require("fhir") == fhir })",
                                kPatient);
  CHECK(out == R"(["Chalmers","Windsor","Peter","James","1974-12-25","nil","nil","nil",true])");
}

TEST_CASE("lua fhir: set creates what is missing and keeps objects and lists apart") {
  const std::string out = run(R"(
  local p = {resourceType = "Patient"}
  fhir.set(p, "name[0].family", "Everywoman")
  fhir.set(p, "name[0].given[0]", "Eve")
  fhir.set(p, "name[0].given[1]", "E")
  fhir.set(p, "identifier[0].type.coding[0].code", "MR")
  fhir.set(p, "maritalStatus.text", "married")
  fhir.set(p, "name.use", "official")          -- a list without an index: its first item
  fhir.set(p, "name[0].given[1]", nil)         -- nil removes
  fhir.set(p, "meta", json.object())
  return p)");
  CHECK(out == R"({"identifier":[{"type":{"coding":[{"code":"MR"}]}}],"maritalStatus":{"text":"married"},)"
               R"("meta":{},"name":[{"family":"Everywoman","given":["Eve"],"use":"official"}],"resourceType":"Patient"})");
}

TEST_CASE("lua fhir: bad paths and impossible sets are clear errors naming the caller's line") {
  CHECK_THAT(run_error(R"(return fhir.get(msg, "name[x]"))"), Catch::Contains("fhir.get: bad path 'name[x]'"));
  CHECK_THAT(run_error(R"(return fhir.set({name = {}}, "name[3].family", "x"))"),
             Catch::Contains("index 3 is past the end of 'name'"));
  CHECK_THAT(run_error(R"(return fhir.set({gender = "male"}, "gender.text", "x"))"),
             Catch::Contains("'gender' holds a string, not an element"));
  CHECK_THAT(run_error(R"(return fhir.set({code = {text = "x"}}, "code[0].text", "x"))"),
             Catch::Contains("'code' is not a list"));
  // The script's own line (not a tail call, which Lua forgets).
  CHECK_THAT(run_error(R"(local v = fhir.get(msg, "name[x]") return v)"), Catch::Contains(".lua:3: fhir.get: bad path"));
}

TEST_CASE("lua fhir: references by id, by type and id, and by fullUrl for resources without an id") {
  const std::string out = run(R"(
  local with_id = {resourceType = "Patient", id = "123"}
  local without = {resourceType = "Observation", status = "final", code = {text = "x"}}
  local ref = fhir.reference(without)
  local bundle = fhir.bundle("transaction", {without})
  return { fhir.reference(with_id), fhir.reference("Encounter", "e1"), fhir.reference("Patient", 7),
           ref == fhir.reference(without), ref == bundle.entry[1].fullUrl, ref,
           fhir.reference({fullUrl = "urn:uuid:x", resource = with_id}) })");
  static const std::regex expected(
      R"(\["Patient/123","Encounter/e1","Patient/7",true,true,"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","urn:uuid:x"\])");
  CHECK(std::regex_match(out, expected));
  CHECK_THAT(run_error(R"(return fhir.reference("patient", "1"))"), Catch::Contains("'patient' is not a resource type"));
  CHECK_THAT(run_error(R"(return fhir.reference("Patient", "a b"))"), Catch::Contains("'a b' is not a resource id"));
}

TEST_CASE("lua fhir: a transaction bundle gets requests and urn:uuid fullUrls and validates as R4") {
  const std::string out = run(R"(
  local patient = {resourceType = "Patient", name = {{family = "Everywoman", given = {"Eve"}}}, gender = "female"}
  local obs = {resourceType = "Observation", status = "final", code = {text = "Glucose"},
               subject = {reference = fhir.reference(patient)}, valueQuantity = {value = 182, unit = "mg/dL",
               system = "http://unitsofmeasure.org", code = "mg/dL"}}
  return fhir.bundle("transaction", {
    {resource = patient, request = {method = "PUT", url = "Patient?identifier=urn:oid:1.2.3|555-44-4444"}},
    obs })
)");
  auto bundle = boost::json::parse(out).as_object();
  CHECK(bundle.at("type") == "transaction");
  auto& entries = bundle.at("entry").as_array();
  REQUIRE(entries.size() == 2);
  const auto& patient = entries[0].as_object();
  const auto& obs = entries[1].as_object();
  CHECK(patient.at("request").at("method") == "PUT");
  CHECK(obs.at("request").at("method") == "POST");
  CHECK(obs.at("request").at("url") == "Observation");
  CHECK(std::string(obs.at("fullUrl").as_string()).rfind("urn:uuid:", 0) == 0);
  CHECK(obs.at("resource").at("subject").at("reference") == patient.at("fullUrl"));
  CHECK(patient.at("fullUrl") != obs.at("fullUrl"));
  require_valid(out);
}

TEST_CASE("lua fhir: other bundle types, empty bundles and bad bundle types") {
  const std::string out = run(R"(
  local b = fhir.bundle("collection", {{resourceType = "Patient", id = "p1"}})
  return {b.entry[1].fullUrl == nil, b.entry[1].request == nil, json.encode(fhir.bundle("batch", {}))})");
  CHECK(out == R"([true,true,"{\"resourceType\":\"Bundle\",\"type\":\"batch\"}"])");
  require_valid(R"({"resourceType":"Bundle","type":"batch"})");
  CHECK_THAT(run_error(R"(return fhir.bundle("transactions", {}))"), Catch::Contains("'transactions' is not a Bundle type"));
  CHECK_THAT(run_error(R"(return fhir.bundle("batch", {{request = nil}}))"),
             Catch::Contains("entry 1 has neither a resource nor a request"));
}

TEST_CASE("lua fhir: operation_outcome builds a valid OperationOutcome and checks its severity") {
  const std::string out = run(R"(return fhir.operation_outcome("error", "processing", "no PID segment"))");
  CHECK(out == R"({"issue":[{"code":"processing","diagnostics":"no PID segment","severity":"error"}],)"
               R"("resourceType":"OperationOutcome"})");
  require_valid(out);
  CHECK_THAT(run_error(R"(return fhir.operation_outcome("bad", "processing"))"),
             Catch::Contains("severity must be fatal, error, warning or information"));
}

TEST_CASE("lua fhir: new_id gives distinct version 4 UUIDs") {
  const std::string out = run(R"(return {fhir.new_id(), fhir.new_id()})");
  static const std::regex two(R"re(\["([0-9a-f-]{36})","([0-9a-f-]{36})"\])re");
  std::smatch m;
  REQUIRE(std::regex_match(out, m, two));
  CHECK(m[1] != m[2]);
}

TEST_CASE("lua fhir: the example in docs/lua-api.md runs and its Bundle validates as R4") {
  std::ifstream in(std::string(ARTERY_SOURCE_DIR) + "/docs/lua-api.md", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto start = doc.find("```lua\nlocal patient = {resourceType = \"Patient\"}");
  REQUIRE(start != std::string::npos);
  const auto body_start = start + std::string("```lua\n").size();
  const auto end = doc.find("```", body_start);
  REQUIRE(end != std::string::npos);
  const std::string out = run(doc.substr(body_start, end - body_start));
  auto bundle = boost::json::parse(out).as_object();
  CHECK(bundle.at("entry").as_array()[1].at("resource").at("subject").at("reference") ==
        bundle.at("entry").as_array()[0].at("fullUrl"));
  require_valid(out);
}
