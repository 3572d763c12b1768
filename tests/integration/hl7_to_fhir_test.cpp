// HL7 v2 in, FHIR out, the way `make run` does it: the shipped channels
// ehr-fhir (the repository, seeded) and hl7-to-fhir (MLLP -> v2_to_fhir ->
// fhir destination) run by the real `artery run`, the sample ADT and ORU
// messages sent over MLLP, and what they became read back over HTTP from the
// repository. Then a restart on the same data: the seed is not loaded twice.
#include "support/engine_process.hpp"
#include "support/fhir_validation.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kSource = ARTERY_SOURCE_DIR;
const fs::path kSamples = fs::path(ARTERY_FIXTURES) / "samples/hl7v2";

// A shipped channel file with `from` -> `to` replacements (each must occur)
// and its offline tests cut off (they are run by the CLI test).
std::string shipped_channel(const std::string& file, const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string yaml = read_text(kSource / "channels" / file);
  for (const auto& [from, to] : edits) {
    const auto at = yaml.find(from);
    INFO(file << ": " << from);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, from.size(), to);
  }
  const auto tests = yaml.find("\ntests:");
  return tests == std::string::npos ? yaml : yaml.substr(0, tests + 1);
}

// Both channels in `dir`/channels on free ports; returns {fhir port, mllp port}.
std::pair<int, int> write_channels(const TempDir& dir) {
  const int fhir = free_port();
  const int mllp = free_port();
  const std::string base = "127.0.0.1:" + std::to_string(fhir);
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/ehr-fhir.yaml",
             shipped_channel("ehr-fhir.yaml", {{"listen: 127.0.0.1:8090", "listen: " + base},
                                               {"seed: seed/", "seed: " + (kSource / "channels/seed").string() + "/"},
                                               {"../scripts/ehr_fhir.lua", (kSource / "scripts/ehr_fhir.lua").string()}}));
  write_text(dir / "channels/hl7-to-fhir.yaml",
             shipped_channel("hl7-to-fhir.yaml",
                             {{"listen: 0.0.0.0:2576", "listen: 127.0.0.1:" + std::to_string(mllp)},
                              {"url: http://127.0.0.1:8090/fhir", "url: http://" + base + "/fhir"},
                              {"../scripts/hl7_to_fhir.lua", (kSource / "scripts/hl7_to_fhir.lua").string()}}));
  return {fhir, mllp};
}

std::vector<std::string> run_args(const TempDir& dir) {
  return {"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
          "127.0.0.1:" + std::to_string(free_port())};
}

json::object get_json(int port, const std::string& target) {
  const auto reply = http_get(port, target, {{"Accept", "application/fhir+json"}});
  INFO("GET " << target << " -> " << reply.status << "\n" << reply.body);
  REQUIRE(reply.status == 200);
  return json::parse(reply.body).as_object();
}

// A search's resources (one page: the tests ask for a _count above the total).
std::vector<json::object> search(int port, const std::string& query) {
  const auto bundle = get_json(port, "/fhir/" + query);
  REQUIRE(bundle.at("type").as_string() == "searchset");
  std::vector<json::object> out;
  if (bundle.contains("entry"))
    for (const auto& entry : bundle.at("entry").as_array()) out.push_back(entry.at("resource").as_object());
  return out;
}

std::size_t total(int port, const std::string& type) {
  return static_cast<std::size_t>(get_json(port, "/fhir/" + type + "?_summary=count").at("total").as_int64());
}

std::string str(const json::value& value) { return value.is_string() ? std::string(value.as_string()) : ""; }

void check_valid(const json::object& resource) {
  const auto problems = fhir_validation_problems(json::serialize(resource));
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  INFO(json::serialize(resource) << "\n" << all);
  CHECK(problems.empty());
}

void send_mllp(int port, const std::vector<fs::path>& files) {
  std::vector<std::string> args = {"send", "mllp", "127.0.0.1:" + std::to_string(port)};
  for (const auto& file : files) args.push_back(file.string());
  std::string output;
  const int code = run_artery(args, output);
  INFO(output);
  REQUIRE(code == 0);
  CHECK(output.find("AE") == std::string::npos);
  CHECK(output.find("AR") == std::string::npos);
}

const std::map<std::string, std::size_t> kSeed = {{"Organization", 1}, {"Practitioner", 4},  {"PractitionerRole", 4},
                                                  {"Patient", 3},      {"Encounter", 3},     {"Observation", 5},
                                                  {"MedicationRequest", 3}};

}  // namespace

TEST_CASE("the shipped hl7-to-fhir channel turns the sample ADT and ORU into FHIR in the ehr-fhir repository",
          "[integration][fhir][mllp]") {
  TempDir dir("artery-hl7-fhir");
  const auto [fhir, mllp] = write_channels(dir);
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);

  EngineProcess engine(run_args(dir), dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  REQUIRE(wait_for_http(fhir));

  // The seed is there at the first start, and valid as served.
  for (const auto& [type, count] : kSeed) {
    INFO(type);
    CHECK(total(fhir, type) == count);
  }
  for (const auto& patient : search(fhir, "Patient?_count=50")) check_valid(patient);
  const auto whitfield = search(fhir, "Patient?family=Whitfield");
  REQUIRE(whitfield.size() == 1);
  const std::string whitfield_id = str(whitfield[0].at("id"));
  const auto prescriptions = search(fhir, "MedicationRequest?patient=Patient/" + whitfield_id);
  REQUIRE(prescriptions.size() == 1);
  CHECK(str(prescriptions[0].at("medicationCodeableConcept").at("coding").at(0).at("code")) == "323509004");
  // The seed's urn:uuid references were rewritten to the ids it was stored under.
  CHECK(str(prescriptions[0].at("subject").at("reference")) == "Patient/" + whitfield_id);

  // An admission (Microsoft FHIR-Converter's ADT^A01 sample: DUCK^DONALD, PID-3 10006579, inpatient).
  send_mllp(mllp, {kSamples / "adt_a01_v23_ms_accmgr_insurance.hl7"});
  std::vector<json::object> ducks;
  if (!eventually([&] { return (ducks = search(fhir, "Patient?identifier=10006579")).size() == 1; },
                  std::chrono::seconds(20)))
    FAIL("no Patient 10006579 in the repository; the engine's log:\n" << engine.log());
  const auto& duck = ducks[0];
  const std::string duck_id = str(duck.at("id"));
  CHECK(str(duck.at("name").at(0).at("family")) == "DUCK");
  CHECK(str(duck.at("name").at(0).at("given").at(0)) == "DONALD");
  CHECK(str(duck.at("birthDate")) == "1924-10-10");
  CHECK(str(duck.at("gender")) == "male");
  CHECK(str(duck.at("address").at(0).at("city")) == "FOWL");
  check_valid(duck);
  const auto encounters = search(fhir, "Encounter?patient=Patient/" + duck_id);
  REQUIRE(encounters.size() == 1);
  CHECK(str(encounters[0].at("class").at("code")) == "IMP");
  CHECK(str(encounters[0].at("subject").at("reference")) == "Patient/" + duck_id);
  check_valid(encounters[0]);

  // His results (the same converter's ORU^R01: two OBR, ten OBX) land on the same Patient.
  send_mllp(mllp, {kSamples / "oru_r01_v25_ms_lab_cbc.hl7"});
  std::vector<json::object> duck_reports;
  if (!eventually([&] { return (duck_reports = search(fhir, "DiagnosticReport?patient=" + duck_id)).size() == 2; },
                  std::chrono::seconds(20)))
    FAIL("no DiagnosticReports for Patient " << duck_id << "; the engine's log:\n" << engine.log());
  CHECK(search(fhir, "Patient?identifier=10006579").size() == 1);
  CHECK(search(fhir, "Observation?patient=" + duck_id + "&_count=100").size() == 10);
  for (const auto& report : duck_reports) check_valid(report);

  // A result: the NIST complete blood count, 28 OBX under one OBR.
  send_mllp(mllp, {kSamples / "oru_r01_v251_nist_lri_cbc.hl7"});
  std::vector<json::object> reports;
  std::string jones_id;
  if (!eventually(
          [&] {
            const auto jones = search(fhir, "Patient?identifier=PATID1234");
            if (jones.size() != 1) return false;
            jones_id = str(jones[0].at("id"));
            return (reports = search(fhir, "DiagnosticReport?patient=Patient/" + jones_id)).size() == 1;
          },
          std::chrono::seconds(20)))
    FAIL("no DiagnosticReport for PATID1234; the engine's log:\n" << engine.log());
  const auto& report = reports[0];
  CHECK(str(report.at("code").at("coding").at(0).at("code")) == "57021-8");
  CHECK(str(report.at("status")) == "final");
  CHECK(report.at("result").as_array().size() == 28);
  check_valid(report);
  const auto observations = search(fhir, "Observation?patient=Patient/" + jones_id + "&_count=100");
  CHECK(observations.size() == 28);
  // Every result the report lists is an Observation of this patient.
  std::set<std::string> observation_refs;
  for (const auto& observation : observations) observation_refs.insert("Observation/" + str(observation.at("id")));
  for (const auto& result : report.at("result").as_array()) CHECK(observation_refs.count(str(result.at("reference"))));
  const auto haemoglobin = search(fhir, "Observation?patient=Patient/" + jones_id + "&code=http://loinc.org%7C718-7");
  REQUIRE(haemoglobin.size() == 1);
  CHECK(haemoglobin[0].at("valueQuantity").at("value").to_number<double>() == Approx(12.5));
  CHECK(str(haemoglobin[0].at("valueQuantity").at("unit")).size() > 0);
  CHECK(str(haemoglobin[0].at("interpretation").at(0).at("coding").at(0).at("code")) == "L");
  check_valid(haemoglobin[0]);

  // The same admission again updates the one Patient (conditional update on PID-3).
  send_mllp(mllp, {kSamples / "adt_a01_v23_ms_accmgr_insurance.hl7"});
  REQUIRE(eventually([&] { return search(fhir, "Encounter?patient=Patient/" + duck_id).size() == 2; },
                     std::chrono::seconds(20)));
  CHECK(search(fhir, "Patient?identifier=10006579").size() == 1);

  // A message type the channel does not map is acknowledged and filtered: nothing new.
  send_mllp(mllp, {kSamples / "siu_s12_v28_ms_new_appointment.hl7"});
  CHECK(engine.wait_for_log("is not mapped to FHIR"));
  CHECK(total(fhir, "Patient") == kSeed.at("Patient") + 2);
  CHECK(engine.stop(SIGTERM) == 0);

  // Restart on the same data: the repository is not empty, so it is not seeded again.
  EngineProcess again(run_args(dir), dir / "engine-2.log");
  REQUIRE(again.wait_for_log("running 2 of 2 channels"));
  REQUIRE(wait_for_http(fhir));
  CHECK(total(fhir, "Patient") == kSeed.at("Patient") + 2);
  for (const auto& [type, count] : kSeed) {
    if (type == "Patient" || type == "Encounter" || type == "Observation") continue;  // grown by the messages
    INFO(type);
    CHECK(total(fhir, type) == count);
  }
  CHECK(total(fhir, "Encounter") == kSeed.at("Encounter") + 2);
  CHECK(total(fhir, "Observation") == kSeed.at("Observation") + 10 + 28);
  CHECK(total(fhir, "DiagnosticReport") == 3);
  CHECK(again.stop(SIGTERM) == 0);
}
