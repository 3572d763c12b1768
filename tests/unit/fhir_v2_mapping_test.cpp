// scripts/lib/fhir/v2_to_fhir.lua on real sample messages, run in the engine's
// script runtime: field by field, against the converted bundles published for
// the same messages (Microsoft FHIR-Converter, HL7 v2-to-FHIR), and through the
// third-party R4 validator.
#include "lua/script.hpp"
#include "support/fhir_validation.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace artery;
using namespace artery::lua;
namespace bj = boost::json;
using artery::testing::fhir_validation_problems;

namespace {

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(ARTERY_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `body` as transform(msg) with scripts/lib on the module path, on HL7 text.
ScriptResult run_text(const std::string& body, const std::string& text) {
  static int n = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("artery_v2fhir_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".lua");
  std::ofstream(path, std::ios::binary) << "local v2 = require('fhir.v2_to_fhir')\nlocal M = {}\n"
                                           "function M.transform(msg, ctx)\n"
                                        << body << "\nend\nreturn M\n";
  Script::Options options;
  options.file = path;
  options.module_paths = {std::filesystem::path(ARTERY_SOURCE_DIR) / "scripts/lib"};
  std::string error;
  auto script = Script::load(options, error);
  std::filesystem::remove(path);
  INFO(error);
  REQUIRE(script);
  ScriptContext ctx;
  return script->process({text, data_type::hl7v2}, ctx);
}

ScriptResult run_on(const std::string& body, const std::string& sample) {
  return run_text(body, read_fixture("samples/hl7v2/" + sample));
}

bj::value result_json(const ScriptResult& result) {
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  return bj::parse(*result.payload);
}

bj::value run_json(const std::string& body, const std::string& sample) { return result_json(run_on(body, sample)); }

bj::value transaction(const std::string& sample) { return run_json("return v2.transaction(msg)", sample); }

void require_valid(const bj::value& resource) {
  auto problems = fhir_validation_problems(bj::serialize(resource));
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

std::vector<bj::object> resources(const bj::value& bundle, const std::string& type) {
  std::vector<bj::object> out;
  for (const auto& e : bundle.at("entry").as_array())
    if (e.at("resource").at("resourceType") == type.c_str()) out.push_back(e.at("resource").as_object());
  return out;
}

const bj::object* entry_of(const bj::value& bundle, const std::string& type) {
  for (const auto& e : bundle.at("entry").as_array())
    if (e.at("resource").at("resourceType") == type.c_str()) return &e.as_object();
  return nullptr;
}

bj::value expected_bundle(const std::string& name) { return bj::parse(read_fixture("samples/fhir/" + name)); }

std::string str(const bj::value& v) { return std::string(v.as_string()); }

// The meaningful values of a coding list: "system|code" for each.
std::vector<std::string> codings(const bj::value& concept_value) {
  std::vector<std::string> out;
  for (const auto& c : concept_value.at("coding").as_array()) {
    const auto& o = c.as_object();
    out.push_back((o.contains("system") ? str(o.at("system")) : std::string()) + "|" + str(o.at("code")));
  }
  return out;
}

}  // namespace

TEST_CASE("v2 to fhir: ADT^A01 Patient matches the Microsoft converter's expected Patient") {
  const bj::value bundle = transaction("adt_a01_v23_ms_accmgr_insurance.hl7");
  require_valid(bundle);
  auto patients = resources(bundle, "Patient");
  REQUIRE(patients.size() == 1);
  const bj::object& ours = patients[0];
  const bj::object theirs = resources(expected_bundle("converted_ms_ADT01-23-expected.json"), "Patient")[0];

  // PID-3 10006579^^^1^MR: value and type as theirs; system from the assigning authority "1".
  const auto& id = ours.at("identifier").as_array()[0].as_object();
  const auto& their_id = theirs.at("identifier").as_array()[0].as_object();
  CHECK(id.at("value") == their_id.at("value"));
  CHECK(codings(id.at("type")) == codings(their_id.at("type")));
  CHECK(str(id.at("system")) == "urn:artery:assigning-authority:1");
  // PID-19 SSN, as the second identifier (the IG's type SS where theirs says SB).
  const auto& ssn = ours.at("identifier").as_array()[1].as_object();
  CHECK(ssn.at("value") == theirs.at("identifier").as_array()[1].at("value"));
  CHECK(ssn.at("system") == theirs.at("identifier").as_array()[1].at("system"));
  // PID-5, PID-7, PID-8, PID-11, PID-13/14.
  CHECK(ours.at("name").as_array()[0] == theirs.at("name").as_array()[0]);
  CHECK(ours.at("birthDate") == theirs.at("birthDate"));
  CHECK(ours.at("gender") == theirs.at("gender"));
  CHECK(ours.at("address").as_array()[0] == theirs.at("address").as_array()[0]);
  const auto& phones = ours.at("telecom").as_array();
  REQUIRE(phones.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(phones[i].at("value") == theirs.at("telecom").as_array()[i].at("value"));
    CHECK(phones[i].at("use") == theirs.at("telecom").as_array()[i].at("use"));
    CHECK(phones[i].at("system") == "phone");
  }
}

TEST_CASE("v2 to fhir: ADT^A01 Encounter from PV1 (class, status, visit number, period) as expected") {
  const bj::value bundle = transaction("adt_a01_v23_ms_accmgr_insurance.hl7");
  auto encounters = resources(bundle, "Encounter");
  REQUIRE(encounters.size() == 1);
  const bj::object& ours = encounters[0];
  const bj::object theirs = resources(expected_bundle("converted_ms_ADT01-23-expected.json"), "Encounter")[0];
  CHECK(ours.at("class").at("code") == theirs.at("class").at("code"));  // I -> IMP
  CHECK(ours.at("class").at("system") == theirs.at("class").at("system"));
  CHECK(ours.at("status") == theirs.at("status"));
  CHECK(ours.at("period").at("start") == theirs.at("period").at("start"));  // 2005-01-10T04:55:02+07:00
  CHECK(ours.at("identifier").as_array()[0].at("value") == theirs.at("identifier").as_array()[0].at("value"));
  CHECK(codings(ours.at("identifier").as_array()[0].at("type")) ==
        codings(theirs.at("identifier").as_array()[0].at("type")));
  CHECK(ours.at("location").as_array()[0].at("location").at("display") == "PREOP 101 1");
  CHECK(ours.at("participant").as_array()[0].at("individual").at("display") == "WALT DISNEY");
  CHECK(ours.at("participant").as_array()[1].at("type").as_array()[0].at("coding").as_array()[0].at("code") == "ADM");
}

TEST_CASE("v2 to fhir: the ADT transaction updates the Patient conditionally and links the Encounter by urn:uuid") {
  const bj::value bundle = transaction("adt_a01_v23_ms_accmgr_insurance.hl7");
  CHECK(bundle.at("type") == "transaction");
  const auto* patient = entry_of(bundle, "Patient");
  const auto* encounter = entry_of(bundle, "Encounter");
  REQUIRE(patient);
  REQUIRE(encounter);
  CHECK(patient->at("request").at("method") == "PUT");
  CHECK(patient->at("request").at("url") == "Patient?identifier=urn:artery:assigning-authority:1|10006579");
  CHECK(encounter->at("request").at("method") == "POST");
  CHECK(encounter->at("request").at("url") == "Encounter");
  CHECK(str(patient->at("fullUrl")).rfind("urn:uuid:", 0) == 0);
  CHECK(encounter->at("resource").at("subject").at("reference") == patient->at("fullUrl"));
  CHECK_FALSE(patient->at("resource").as_object().contains("id"));
}

TEST_CASE("v2 to fhir: ADT^A04 and ADT^A08 map too, other messages are refused clearly") {
  const bj::value a04 = transaction("adt_a04_v23_ms_registration.hl7");
  require_valid(a04);
  CHECK(resources(a04, "Patient").size() == 1);
  const bj::value a01 = transaction("adt_a01_v24_hapi_docs_example.hl7");
  require_valid(a01);
  const bj::value a08 =
      run_json("msg:set('MSH-9.2', 'A08') return v2.transaction(msg)", "adt_a01_v23_ms_accmgr_insurance.hl7");
  require_valid(a08);
  CHECK(resources(a08, "Encounter").size() == 1);

  auto refused = run_on("return v2.transaction(msg)", "adt_a03_v25_hapi_discharge.hl7");
  CHECK(refused.status == ScriptResult::Status::error);
  CHECK_THAT(refused.error, Catch::Contains("v2.transaction: ADT^A03 is not supported (ADT^A01, ADT^A04, ADT^A08 and ORU^R01 are)"));
}

TEST_CASE("v2 to fhir: ORU^R01 lab CBC: Observations and DiagnosticReports as the Microsoft converter's") {
  const bj::value bundle = transaction("oru_r01_v25_ms_lab_cbc.hl7");
  require_valid(bundle);
  const bj::value expected = expected_bundle("converted_ms_LAB-ORU-1-expected.json");
  auto ours = resources(bundle, "Observation");
  auto theirs = resources(expected, "Observation");
  REQUIRE(ours.size() == 10);
  REQUIRE(theirs.size() == 10);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    INFO("OBX " << i + 1);
    CHECK(codings(ours[i].at("code")) == codings(theirs[i].at("code")));
    CHECK(ours[i].contains("valueQuantity") == theirs[i].contains("valueQuantity"));
    if (theirs[i].contains("valueQuantity")) {
      CHECK(ours[i].at("valueQuantity").at("value").to_number<double>() ==
            theirs[i].at("valueQuantity").at("value").to_number<double>());
      CHECK(ours[i].at("valueQuantity").at("unit") == theirs[i].at("valueQuantity").at("unit"));
      CHECK(ours[i].at("valueQuantity").at("system") == "http://unitsofmeasure.org");
    }
    if (theirs[i].contains("effectiveDateTime")) CHECK(ours[i].at("effectiveDateTime") == theirs[i].at("effectiveDateTime"));
    if (theirs[i].contains("interpretation"))
      CHECK(codings(ours[i].at("interpretation").as_array()[0]) == codings(theirs[i].at("interpretation").as_array()[0]));
    if (theirs[i].at("status") != "unknown") CHECK(ours[i].at("status") == theirs[i].at("status"));
  }
  CHECK(ours[0].at("status") == "registered");  // OBX-11 I: in process, no result yet
  auto reports = resources(bundle, "DiagnosticReport");
  auto their_reports = resources(expected, "DiagnosticReport");
  REQUIRE(reports.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(codings(reports[i].at("code")) == codings(their_reports[i].at("code")));
    CHECK(reports[i].at("status") == their_reports[i].at("status"));
    CHECK(reports[i].at("identifier") == their_reports[i].at("identifier"));
    CHECK(reports[i].at("result").as_array().size() == 5);
  }
  // DiagnosticReport.result points at this group's Observation entries.
  std::vector<std::string> observation_urls;
  for (const auto& e : bundle.at("entry").as_array())
    if (e.at("resource").at("resourceType") == "Observation") observation_urls.push_back(str(e.at("fullUrl")));
  CHECK(str(reports[0].at("result").as_array()[0].at("reference")) == observation_urls[0]);
  CHECK(str(reports[1].at("result").as_array()[4].at("reference")) == observation_urls[9]);
}

TEST_CASE("v2 to fhir: ORU^R01 glucose SN value, UCUM unit, reference range, flag and time zones") {
  const bj::value bundle = transaction("oru_r01_v24_ms_glucose_sn_tz.hl7");
  require_valid(bundle);
  auto obs = resources(bundle, "Observation");
  REQUIRE(obs.size() == 1);
  const auto& o = obs[0];
  CHECK(codings(o.at("code")) == std::vector<std::string>{"|1554-5"});  // no coding system in OBX-3.3
  CHECK(o.at("code").at("coding").as_array()[0].at("display") == "GLUCOSE");
  CHECK(o.at("valueQuantity").at("value").to_number<double>() == 182);
  CHECK(o.at("valueQuantity").at("unit") == "mg/dl");
  CHECK(o.at("valueQuantity").at("code") == "mg/dL");  // the UCUM spelling
  CHECK(o.at("referenceRange").as_array()[0].at("text") == "70_105");
  CHECK(o.at("referenceRange").as_array()[0].at("low").at("value").to_number<double>() == 70);
  CHECK(o.at("referenceRange").as_array()[0].at("high").at("value").to_number<double>() == 105);
  CHECK(codings(o.at("interpretation").as_array()[0]) ==
        std::vector<std::string>{"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation|H"});
  CHECK(o.at("status") == "final");
  // No OBX-14: OBR-7 20020215073000+0600.
  CHECK(o.at("effectiveDateTime") == "2002-02-15T07:30:00+06:00");
  auto report = resources(bundle, "DiagnosticReport");
  REQUIRE(report.size() == 1);
  CHECK(report[0].at("effectiveDateTime") == "2002-02-15T07:30:00+06:00");
  CHECK(report[0].at("status") == "final");
  auto patient = resources(bundle, "Patient")[0];
  CHECK(patient.at("birthDate") == "1962-03-20");
  CHECK(patient.at("name").as_array()[0].at("use") == "official");  // XPN.7 L
}

TEST_CASE("v2 to fhir: OBX value types CWE, TX, NM and an invalid birth date left out, all valid R4") {
  const bj::value nist = transaction("oru_r01_v251_nist_lri_cbc.hl7");
  require_valid(nist);
  bool coded = false, text = false;
  for (const auto& o : resources(nist, "Observation")) {
    coded = coded || o.contains("valueCodeableConcept");
    text = text || o.contains("valueString");
  }
  CHECK(coded);
  CHECK(text);
  // PID-7 "196203520" is not a date: no birthDate rather than a wrong one.
  const bj::value bad_dob = transaction("oru_r01_v24_pythonhl7_glucose_sn.hl7");
  require_valid(bad_dob);
  CHECK_FALSE(resources(bad_dob, "Patient")[0].contains("birthDate"));
  const bj::value elr = transaction("oru_r01_v251_ms_elr_ed_rp_cwe.hl7");
  require_valid(elr);
}

TEST_CASE("v2 to fhir: the HL7 v2-to-FHIR project's ADT^A01 worked example maps the same way") {
  // The project publishes the Bundle (converted_hl7v2tofhir_ADT_A01_bundle.json) but not its message:
  // these PID and PV1 carry the values that Bundle shows, in the fields the IG maps them from.
  const std::string message =
      "MSH|^~\\&|V2FHIR|HL7|FHIR|HL7|20150601120000+0000||ADT^A01^ADT_A01|MSG-1|P|2.5.1\r"
      "PID|1||1032702^^^V2FHIR^MR^^20190101^20290101~N09204074^^^WADMV^DL^^20180601^20280531||"
      "Everywoman^Eve^L^Jr^Dr^PhD^L^^^^^20000909^20301231~Original^Eve^L^Jr^^^M||19700601|F|||"
      "1000 House Lane^Appt 123^Ann Arbor ^MI^99999^USA^H||^^Internet^eve@test.test||||||000-00-0000\r"
      "PV1|1|E|||||||||||||||||81456267^^^AssignAuth^VN|||||||||||||||||||||||||20150601\r";
  const bj::value bundle = result_json(run_text("return v2.transaction(msg)", message));
  require_valid(bundle);
  const bj::value expected = expected_bundle("converted_hl7v2tofhir_ADT_A01_bundle.json");
  const bj::object ours = resources(bundle, "Patient")[0];
  const bj::object theirs = resources(expected, "Patient")[0];
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& a = ours.at("identifier").as_array()[i];
    const auto& b = theirs.at("identifier").as_array()[i];
    CHECK(a.at("value") == b.at("value"));
    CHECK(codings(a.at("type")) == codings(b.at("type")));
    CHECK(a.at("period") == b.at("period"));
  }
  const auto& ssn = ours.at("identifier").as_array()[2];
  const auto& their_ssn = theirs.at("identifier").as_array()[2];
  CHECK(ssn.at("value") == their_ssn.at("value"));
  CHECK(ssn.at("system") == their_ssn.at("system"));
  CHECK(codings(ssn.at("type")) == codings(their_ssn.at("type")));
  for (const char* key : {"family", "given", "prefix", "suffix", "use", "period"})
    CHECK(ours.at("name").as_array()[0].at(key) == theirs.at("name").as_array()[0].at(key));
  for (const char* key : {"family", "given", "suffix", "use"})
    CHECK(ours.at("name").as_array()[1].at(key) == theirs.at("name").as_array()[1].at(key));
  CHECK(ours.at("gender") == theirs.at("gender"));
  // Theirs writes "1970-06-01T09:12", which is not an R4 date; the date part is the same.
  CHECK(str(ours.at("birthDate")) == str(theirs.at("birthDate")).substr(0, 10));
  for (const char* key : {"line", "city", "state", "postalCode", "country", "use"})
    CHECK(ours.at("address").as_array()[0].at(key) == theirs.at("address").as_array()[0].at(key));
  CHECK(ours.at("telecom").as_array()[0].at("system") == theirs.at("telecom").as_array()[0].at("system"));
  CHECK(ours.at("telecom").as_array()[0].at("value") == theirs.at("telecom").as_array()[0].at("value"));

  const bj::object encounter = resources(bundle, "Encounter")[0];
  const bj::object their_encounter = resources(expected, "Encounter")[0];
  CHECK(encounter.at("class") == their_encounter.at("class"));  // E -> EMER
  CHECK(encounter.at("status") == their_encounter.at("status"));
  CHECK(encounter.at("period").at("start") == their_encounter.at("period").at("start"));
  CHECK(encounter.at("identifier").as_array()[0].at("value") == their_encounter.at("identifier").as_array()[0].at("value"));
}

TEST_CASE("v2 to fhir: timestamps with and without zones") {
  const bj::value out = run_json(R"(
  return { v2.datetime("20141006092900+0700"), v2.datetime("200202150730-0500"), v2.datetime("2002021507"),
           v2.datetime("2002021507", "+0100"), v2.datetime("20020215"), v2.datetime("200202"),
           v2.datetime("20141006092900.1234+0700"), tostring(v2.datetime("20021345")), v2.date("19241010") })",
                                 "adt_a01_v23_ms_accmgr_insurance.hl7");
  CHECK(out == bj::parse(R"(["2014-10-06T09:29:00+07:00","2002-02-15T07:30:00-05:00","2002-02-15",
    "2002-02-15T07:00:00+01:00","2002-02-15","2002-02","2014-10-06T09:29:00.1234+07:00","nil","1924-10-10"])"));
}
