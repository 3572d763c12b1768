// The deid module as scripts reach it: a profile from a table or from the
// shipped YAML file next to the script, msg objects and text, FHIR tables,
// pseudonyms, and the refusals (no key, a literal key, bad input).
#include "lua/script.hpp"
#include "lua_script_file.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace artery;
using namespace artery::lua;
using artery::testing::ScriptFile;

namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(ARTERY_FIXTURES) + "/samples/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ScriptResult run(const std::string& body, const std::string& input, std::string_view type = data_type::hl7v2,
                 ScriptContext* context = nullptr) {
  ScriptFile file("local M = {}\nfunction M.transform(msg, ctx)\n" + body + "\nend\nreturn M\n");
  Script::Options options;
  options.file = file.path;
  options.module_paths = {std::filesystem::path(ARTERY_SOURCE_DIR) / "scripts"};
  std::string error;
  auto script = Script::load(options, error);
  INFO(error);
  REQUIRE(script);
  ScriptContext local;
  return script->process({input, type}, context ? *context : local);
}

}  // namespace

TEST_CASE("lua deid: hl7 with the shipped profile file and a table profile", "[lua][deid]") {
  ::setenv("ARTERY_DEID_KEY", "lua-deid-test-key-0123456789", 1);
  ScriptContext ctx;
  auto result = run(R"(
    local p = deid.profile("research_feed_profile.yaml")
    local text = assert(deid.hl7(msg, p))
    ctx.vars.pid = hl7.parse(text):get("PID-3.1")
    ctx.vars.same = tostring(deid.pseudonym("555-44-4444", p) == ctx.vars.pid)
    return text)",
                    sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"), data_type::hl7v2, &ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  CHECK(result.payload->find("EVERYWOMAN") == std::string::npos);
  CHECK(result.payload->find("555-44-4444") == std::string::npos);
  CHECK(result.payload->find("OBX|1|SN|1554-5^GLUCOSE") != std::string::npos);
  CHECK(ctx.vars["same"] == "true");

  ::setenv("ARTERY_DEID_OTHER", "another-key-0123456789abcdef", 1);
  ScriptContext other;
  auto table = run(R"(
    local text = assert(deid.hl7(msg, {key_env = "ARTERY_DEID_OTHER", modes = {dates = "year"}}))
    ctx.vars.pid = hl7.parse(text):get("PID-3.1")
    ctx.vars.obr7 = hl7.parse(text):get("OBR-7")
    return text)",
                   sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"), data_type::hl7v2, &other);
  INFO(table.error);
  REQUIRE(table.status == ScriptResult::Status::ok);
  CHECK(other.vars["pid"] != ctx.vars["pid"]);  // another key, another pseudonym
  CHECK(other.vars["obr7"] == "2002");
}

TEST_CASE("lua deid: fhir tables and text", "[lua][deid]") {
  ::setenv("ARTERY_DEID_KEY", "lua-deid-test-key-0123456789", 1);
  auto result = run(R"(
    local p = deid.profile({key_env = "ARTERY_DEID_KEY"})
    local out = assert(deid.fhir(msg, p))
    assert(type(out) == "table" and out.resourceType == "Patient")
    local text = assert(deid.fhir(json.encode(msg), p))
    assert(type(text) == "string")
    return out)",
                    sample("fhir/patient_example_r4.json"), data_type::json);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  for (const char* id : {"Chalmers", "Peter", "1974-12-25", "5555 6473", "Erewhon", "PleasantVille"}) {
    INFO(id);
    CHECK(result.payload->find(id) == std::string::npos);
  }
  CHECK(result.payload->find("\"gender\":\"male\"") != std::string::npos);
  CHECK(result.payload->find("\"birthDate\":\"1974\"") != std::string::npos);
}

TEST_CASE("lua deid: refusals say why", "[lua][deid]") {
  ::unsetenv("ARTERY_DEID_NOPE");
  auto no_key = run(R"(return deid.hl7(msg, {key_env = "ARTERY_DEID_NOPE"}))",
                    sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"));
  CHECK(no_key.status == ScriptResult::Status::error);
  CHECK_THAT(no_key.error, Catch::Contains("ARTERY_DEID_NOPE is not set"));
  auto literal = run(R"(return deid.hl7(msg, {key = "0123456789abcdef0123"}))",
                     sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"));
  CHECK_THAT(literal.error, Catch::Contains("literal key is not accepted"));
  ::setenv("ARTERY_DEID_KEY", "lua-deid-test-key-0123456789", 1);
  auto bad = run(R"(
    local out, err = deid.hl7("PID|1||x", {key_env = "ARTERY_DEID_KEY"})
    assert(out == nil)
    local f, ferr = deid.fhir("[1,2]", {key_env = "ARTERY_DEID_KEY"})
    assert(f == nil)
    return err .. " / " .. ferr)",
                 sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"));
  INFO(bad.error);
  REQUIRE(bad.status == ScriptResult::Status::ok);
  CHECK_THAT(*bad.payload, Catch::Contains("deid.hl7: not an HL7 v2 message") &&
                               Catch::Contains("deid.fhir: not a FHIR resource"));
  auto missing = run(R"(return deid.hl7(msg, "no_such_profile.yaml"))", sample("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"));
  CHECK_THAT(missing.error, Catch::Contains("no_such_profile.yaml not found"));
}
