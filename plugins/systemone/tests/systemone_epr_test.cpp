// The demo EPR channel (channels/systemone-epr.yaml + scripts/systemone_epr.lua)
// run by the real artery binary, called over real TCP sockets on 127.0.0.1:
// every function, the error answers, connection handling, durability of
// added patients across a restart, the systemone destination and
// `artery send systemone` against it.
#include "../systemone_destination.hpp"
#include "support/engine_process.hpp"
#include "systemone_test_support.hpp"

#include <catch2/catch.hpp>

#include <pugixml.hpp>

#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <regex>

using namespace systemone_test;
using artery::SendResult;
using artery::testing::EngineProcess;
using artery::testing::TempDir;

namespace {

const std::string kKey = "artery-demo-key";

// The committed channel file, listening on `port` on loopback, its script
// found through an absolute path (scripts/lib then resolves next to it).
// Switched to TPP's element names (the channel's documented option), which
// these tests read; the default EPR shapes are tested in
// tests/integration/systemone_epr_shapes_test.cpp.
std::string channel_yaml(int port) {
  std::string yaml = artery::testing::read_text(std::string(ARTERY_SOURCE_DIR) + "/channels/systemone-epr.yaml");
  REQUIRE(yaml.find("listen: 0.0.0.0:40700") != std::string::npos);
  REQUIRE(yaml.find("script: ../scripts/systemone_epr.lua") != std::string::npos);
  REQUIRE(yaml.find("error_style: simple") != std::string::npos);
  yaml = std::regex_replace(yaml, std::regex("listen: 0\\.0\\.0\\.0:40700"), "listen: 127.0.0.1:" + std::to_string(port));
  yaml = std::regex_replace(yaml, std::regex("script: \\.\\./scripts/systemone_epr\\.lua"),
                            "script: " + std::string(ARTERY_SOURCE_DIR) + "/scripts/systemone_epr_tpp.lua");
  yaml = std::regex_replace(yaml, std::regex("error_style: simple"), "error_style: tpp");
  return yaml;
}

// An engine running only the EPR channel, in its own temp folders.
class Epr {
 public:
  Epr() : port(free_port()) {
    artery::testing::write_text(dir / "channels" / "systemone-epr.yaml", channel_yaml(port));
    start();
  }
  void start() {
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "127.0.0.1:" + std::to_string(free_port())},
        dir / ("engine-" + std::to_string(++starts) + ".log"));
    INFO(engine->log());
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
  void restart() {
    REQUIRE(engine->stop(SIGTERM) == 0);
    start();
  }
  std::string log() const { return engine->log(); }

  TempDir dir{"artery-epr"};
  int port;
  int starts = 0;
  std::unique_ptr<EngineProcess> engine;
};

std::string request(const std::string& function, const std::string& parameters, const std::string& key = kKey) {
  static int uid = 0;
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ClientIntegrationRequest><APIKey>" + key +
         "</APIKey><DeviceID/><DeviceVersion>epr-test</DeviceVersion><RequestUID>test-" + std::to_string(++uid) +
         "</RequestUID><Function>" + function + "</Function><FunctionVersion>1.0</FunctionVersion><FunctionParameters>" +
         parameters + "</FunctionParameters></ClientIntegrationRequest>\n";
}

// A parsed response document, with short accessors for tests.
struct Reply {
  std::string text;
  std::shared_ptr<pugi::xml_document> doc = std::make_shared<pugi::xml_document>();

  pugi::xml_node response() const { return doc->document_element().child("Response"); }
  std::string at(const char* path) const { return response().first_element_by_path(path).text().as_string(); }
  std::size_t count(const char* parent, const char* child) const {
    auto node = parent[0] ? response().first_element_by_path(parent) : response();
    return static_cast<std::size_t>(std::distance(node.children(child).begin(), node.children(child).end()));
  }
  std::string error() const { return at("ErrorMessage"); }
  bool permanent() const { return at("PermanentError") == "true"; }
};

Reply read_reply(Connection& connection) {
  Reply reply;
  reply.text = connection.read_line();
  INFO(reply.text);
  REQUIRE(!reply.text.empty());
  REQUIRE(reply.doc->load_string(reply.text.c_str()));
  REQUIRE(std::string(reply.doc->document_element().name()) == "ClientIntegrationResponse");
  return reply;
}

Reply call(Connection& connection, const std::string& function, const std::string& parameters = "",
           const std::string& key = kKey) {
  connection.send(request(function, parameters, key));
  Reply reply = read_reply(connection);
  CHECK(reply.doc->document_element().child_value("Function") == function);
  return reply;
}

// An answer that is not an error response.
Reply ok(Connection& connection, const std::string& function, const std::string& parameters = "") {
  Reply reply = call(connection, function, parameters);
  INFO(reply.text);
  REQUIRE(reply.error().empty());
  return reply;
}

// Modulus 11, computed independently of the Lua under test.
bool valid_nhs_number(const std::string& n) {
  if (n.size() != 10 || n.find_first_not_of("0123456789") != std::string::npos) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (n[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == n[9] - '0';
}

}  // namespace

TEST_CASE("EPR: GetFunctions lists the eleven functions", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply r = ok(c, "GetFunctions");
  std::vector<std::string> names;
  for (auto f : r.response().child("Functions").children("Function")) names.emplace_back(f.text().as_string());
  CHECK(names == std::vector<std::string>{"GetFunctions", "GetPatients", "GetPatient", "GetAppointments",
                                          "GetPrescriptions", "GetLabResults", "AddPatient", "UpdatePatient",
                                          "PatientSearch", "GetPatientRecord", "UpdatePatientRecord"});
  // The envelope comes from the plugin: RequestUID echoed, a new ResponseUID.
  CHECK(std::string(r.doc->document_element().child_value("RequestUID")).rfind("test-", 0) == 0);
  CHECK(std::string(r.doc->document_element().child_value("ResponseUID")).size() == 36);
}

TEST_CASE("EPR: ten seeded patients with valid NHS numbers, UK addresses and phones", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply r = ok(c, "GetPatients");
  REQUIRE(r.count("Patients", "Patient") == 10);
  CHECK(r.response().child("Patients").attribute("Count").as_int() == 10);
  int i = 0;
  for (auto p : r.response().child("Patients").children("Patient")) {
    CHECK(p.child_value("PatientID") == "P10000" + std::to_string(i++));
    std::string nhs = p.child_value("NHSNumber");
    INFO(nhs);
    CHECK(valid_nhs_number(nhs));
    CHECK(nhs.rfind("999", 0) == 0);  // NHS England's test range
    CHECK(std::regex_match(std::string(p.child_value("Postcode")), std::regex("[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")));
    CHECK(std::regex_match(std::string(p.child_value("DateOfBirth")), std::regex("\\d{4}-\\d{2}-\\d{2}")));
  }
  // The full demographics of one, in SystmOne's element names.
  Reply one = ok(c, "GetPatient", "<PatientID>P100001</PatientID>");
  CHECK(one.at("Patient/Identity/NHSNumber") == "9990000255");
  CHECK(one.at("Patient/Demographics/Surname") == "Evans");
  CHECK(one.at("Patient/Demographics/Address/Town") == "Cardiff");
  CHECK(one.at("Patient/Demographics/Address/Postcode") == "CF14 1JR");
  CHECK(one.at("Patient/Demographics/HomeTelephone") == "01632 960245");
  CHECK(one.at("Patient/Demographics/MobileTelephone") == "07700 900245");
}

TEST_CASE("EPR: GetPatients searches by surname, forename, NHS number and date of birth", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply by_surname = ok(c, "GetPatients", "<Surname>thorn</Surname>");
  REQUIRE(by_surname.count("Patients", "Patient") == 1);
  CHECK(by_surname.at("Patients/Patient/FirstName") == "Margaret");

  Reply by_forename = ok(c, "GetPatients", "<Forename>Chloe</Forename>");
  REQUIRE(by_forename.count("Patients", "Patient") == 1);
  CHECK(by_forename.at("Patients/Patient/Surname") == "O'Brien");

  Reply by_nhs = ok(c, "GetPatients", "<NHSNumber>999 000 0395</NHSNumber>");
  REQUIRE(by_nhs.count("Patients", "Patient") == 1);
  CHECK(by_nhs.at("Patients/Patient/Surname") == "MacDonald");

  Reply by_dob = ok(c, "GetPatients", "<DateOfBirth>1939-09-17</DateOfBirth>");
  REQUIRE(by_dob.count("Patients", "Patient") == 1);
  CHECK(by_dob.at("Patients/Patient/PatientID") == "P100005");

  Reply both = ok(c, "GetPatients", "<Surname>Evans</Surname><DateOfBirth>1939-09-17</DateOfBirth>");
  CHECK(both.count("Patients", "Patient") == 0);
  CHECK(both.response().child("Patients").attribute("Count").as_int() == 0);
}

TEST_CASE("EPR: GetPatient by PatientID and by NHS number", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply by_id = ok(c, "GetPatient", "<PatientID>P100004</PatientID>");
  Reply by_nhs = ok(c, "GetPatient", "<NHSNumber>9990000468</NHSNumber>");
  Reply tpp_style = ok(c, "GetPatient", "<Identity><NhsNumber>9990000468</NhsNumber></Identity>");
  for (const Reply* r : {&by_id, &by_nhs, &tpp_style}) {
    CHECK(r->at("Patient/PatientID") == "P100004");
    CHECK(r->at("Patient/Demographics/FirstName") == "Aisha");
    CHECK(r->at("Patient/Demographics/DateOfBirth") == "1964-05-08");
    CHECK(r->at("Patient/Demographics/Sex") == "F");
  }
  Reply missing = call(c, "GetPatient", "<PatientID>P999999</PatientID>");
  CHECK(missing.error() == "no patient with PatientID P999999");
  CHECK(missing.permanent());
}

TEST_CASE("EPR: appointments, prescriptions and lab results of a patient", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply appointments = ok(c, "GetAppointments", "<PatientID>P100000</PatientID>");
  REQUIRE(appointments.count("Appointments", "Appointment") == 3);
  CHECK(appointments.at("Appointments/Appointment/DateTime") == "2025-08-28T09:10:00");  // oldest first
  CHECK(appointments.at("Appointments/Appointment/Status") == "Finished");
  CHECK(appointments.at("Appointments/Appointment/Duration") == "10");

  Reply prescriptions = ok(c, "GetPrescriptions", "<NHSNumber>9990000182</NHSNumber>");
  REQUIRE(prescriptions.count("Prescriptions", "Prescription") == 3);
  auto first = prescriptions.response().first_element_by_path("Prescriptions/Prescription");
  CHECK(std::string(first.child("Drug").attribute("Name").value()) == "Metformin 500mg tablets");
  CHECK(std::string(first.child("Drug").attribute("Scheme").value()) == "Multilex");
  CHECK(std::string(first.child_value("Dose")) == "One tablet twice a day with meals");
  CHECK(std::string(first.child_value("StartDate")) == "2025-09-02");
  CHECK(std::string(first.child_value("EndDate")) == "2025-09-30");

  Reply results = ok(c, "GetLabResults", "<PatientID>P100004</PatientID>");
  REQUIRE(results.count("LabResults", "Report") == 3);
  bool found_potassium = false, found_hba1c = false;
  for (auto report : results.response().child("LabResults").children("Report"))
    for (auto result : report.children("Result")) {
      std::string term = result.child("Code").attribute("Term").value();
      if (term == "Serum potassium level") {
        found_potassium = true;
        CHECK(std::string(result.child_value("Value")) == "5.5");
        CHECK(std::string(result.child_value("Units")) == "mmol/L");
        CHECK(std::string(result.child_value("AbnormalFlag")) == "H");
      }
      if (term.rfind("Haemoglobin A1c", 0) == 0) {
        found_hba1c = true;
        CHECK(std::string(result.child_value("Value")) == "71");
        CHECK(std::string(result.child_value("Units")) == "mmol/mol");
        CHECK(std::string(result.child("Code").attribute("Scheme").value()) == "CTV3");
      }
    }
  CHECK(found_potassium);
  CHECK(found_hba1c);
  Reply none = call(c, "GetLabResults");
  CHECK(none.error() == "missing parameter PatientID or NHSNumber");
  CHECK(none.permanent());
}

TEST_CASE("EPR: AddPatient then GetPatient, UpdatePatient then GetPatient", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply added = ok(c, "AddPatient",
                   "<Title>Mr</Title><FirstName>Owen</FirstName><Surname>Price &amp; Sons</Surname>"
                   "<DateOfBirth>1990-06-15</DateOfBirth><Sex>M</Sex><HouseNumber>3</HouseNumber>"
                   "<Road>Quay Street</Road><Town>Swansea</Town><Postcode>sa1 1aa</Postcode>"
                   "<MobileTelephone>07700 900999</MobileTelephone>");
  CHECK(added.at("Patient/PatientID") == "P100010");
  std::string nhs = added.at("Patient/Identity/NHSNumber");
  CHECK(valid_nhs_number(nhs));
  CHECK(added.at("Patient/Demographics/Address/Postcode") == "SA1 1AA");

  Reply got = ok(c, "GetPatient", "<NHSNumber>" + nhs + "</NHSNumber>");
  CHECK(got.at("Patient/PatientID") == "P100010");
  CHECK(got.at("Patient/Demographics/Surname") == "Price & Sons");
  CHECK(got.text.find("Price &amp; Sons") != std::string::npos);

  // With a given NHS number; a second patient with the same number is refused.
  Reply given = ok(c, "AddPatient",
                   "<NHSNumber>4917111072</NHSNumber><FirstName>Alice</FirstName><Surname>Abbot</Surname>"
                   "<DateOfBirth>1951-01-01</DateOfBirth><Sex>F</Sex>");
  CHECK(given.at("Patient/PatientID") == "P100011");
  CHECK(given.at("Patient/Identity/NHSNumber") == "4917111072");
  Reply duplicate = call(c, "AddPatient",
                         "<NHSNumber>4917111072</NHSNumber><FirstName>A</FirstName><Surname>B</Surname>"
                         "<DateOfBirth>1951-01-01</DateOfBirth><Sex>F</Sex>");
  CHECK(duplicate.error() == "NHS number 4917111072 already belongs to patient P100011");

  Reply updated = ok(c, "UpdatePatient",
                     "<PatientID>P100010</PatientID><Surname>Price</Surname><Postcode>CF10 1AA</Postcode>"
                     "<EmailAddress>owen@example.com</EmailAddress>");
  CHECK(updated.at("Patient/Demographics/Surname") == "Price");
  Reply after = ok(c, "GetPatient", "<PatientID>P100010</PatientID>");
  CHECK(after.at("Patient/Demographics/Surname") == "Price");
  CHECK(after.at("Patient/Demographics/FirstName") == "Owen");  // untouched fields stay
  CHECK(after.at("Patient/Demographics/Address/Postcode") == "CF10 1AA");
  CHECK(after.at("Patient/Demographics/Address/Town") == "Swansea");
  CHECK(after.at("Patient/Demographics/EmailAddress") == "owen@example.com");
  CHECK(ok(c, "GetPatients", "<Surname>Price</Surname>").count("Patients", "Patient") == 1);
}

TEST_CASE("EPR: AddPatient and UpdatePatient refuse bad values", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  const std::string base = "<FirstName>Ann</FirstName><Surname>Lee</Surname><Sex>F</Sex>";
  struct Case {
    std::string parameters, error;
  } cases[] = {
      {"<FirstName>Ann</FirstName><Sex>F</Sex><DateOfBirth>1990-01-01</DateOfBirth>", "missing parameter Surname"},
      {base + "<DateOfBirth>1990-02-30</DateOfBirth>", "DateOfBirth must be a date written YYYY-MM-DD, got '1990-02-30'"},
      {base + "<DateOfBirth>2999-01-01</DateOfBirth>", "DateOfBirth 2999-01-01 is in the future"},
      {base + "<DateOfBirth>1990-01-01</DateOfBirth><Postcode>NOT A CODE</Postcode>", "'NOT A CODE' is not a UK postcode"},
      {base + "<DateOfBirth>1990-01-01</DateOfBirth><NHSNumber>9990000183</NHSNumber>",
       "'9990000183' is not a valid NHS number"},
      {"<FirstName>Ann</FirstName><Surname>Lee</Surname><Sex>X</Sex><DateOfBirth>1990-01-01</DateOfBirth>",
       "Sex must be M, F, I or U, got 'X'"},
  };
  for (const auto& c_ : cases) {
    Reply r = call(c, "AddPatient", c_.parameters);
    INFO(r.text);
    CHECK(r.error() == c_.error);
    CHECK(r.permanent());
  }
  Reply nothing = call(c, "UpdatePatient", "<PatientID>P100000</PatientID>");
  CHECK(nothing.error() == "no demographic fields to change were given");
  Reply cleared = call(c, "UpdatePatient", "<PatientID>P100000</PatientID><Surname></Surname>");
  CHECK(cleared.error() == "missing parameter Surname");
  // Nothing was stored by the refused requests.
  CHECK(ok(c, "GetPatients").count("Patients", "Patient") == 10);
  CHECK(ok(c, "GetPatient", "<PatientID>P100000</PatientID>").at("Patient/Demographics/Surname") == "Thornton");
}

TEST_CASE("EPR: PatientSearch needs two criteria and returns Identity and Demographics", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply one = call(c, "PatientSearch", "<Surname>Evans</Surname>");
  CHECK(one.error().find("PatientSearch needs at least 2 search criteria") == 0);
  CHECK(one.permanent());

  Reply found = ok(c, "PatientSearch", "<Surname>Evans</Surname><DateOfBirth>1957-11-02</DateOfBirth>");
  REQUIRE(found.count("Patients", "Patient") == 1);
  CHECK(found.at("Patients/Patient/Identity/NHSNumber") == "9990000255");
  CHECK(found.at("Patients/Patient/Identity/StrategicReportingIdentifier") == "100001");
  CHECK(found.at("Patients/Patient/Demographics/FirstName") == "David");

  Reply by_sex = ok(c, "PatientSearch", "<Sex>F</Sex><Postcode>bs83hl</Postcode>");
  REQUIRE(by_sex.count("Patients", "Patient") == 1);
  CHECK(by_sex.at("Patients/Patient/Demographics/Surname") == "Fitzgerald");
  CHECK(ok(c, "PatientSearch", "<Surname>Evans</Surname><Sex>F</Sex>").count("Patients", "Patient") == 0);
}

TEST_CASE("EPR: GetPatientRecord, full and filtered", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  const std::string identity = "<Identity><NHSNumber>9990000182</NHSNumber></Identity>";

  Reply full = ok(c, "GetPatientRecord", identity);
  CHECK(full.at("Identity/NHSNumber") == "9990000182");
  CHECK(full.at("Demographics/Surname") == "Thornton");
  CHECK(full.at("RecordState") == "Closed");
  // 2 problems + 3 medication + 3 result reports.
  REQUIRE(full.count("Clinical", "Event") == 8);
  CHECK(full.count("NonClinical", "Appointment") == 3);
  std::string previous;
  int medication = 0, results = 0, problems = 0;
  for (auto event : full.response().child("Clinical").children("Event")) {
    std::string when = event.attribute("DateTime").value();
    CHECK(when >= previous);  // time order
    previous = when;
    CHECK(std::string(event.attribute("EventUID").value()).size() == 16);
    if (event.child("Medication")) ++medication;
    if (event.child("ClinicalCode").child("Value")) ++results;
    if (event.child("ClinicalCode").child("ProblemUID")) ++problems;
  }
  CHECK(medication == 3);
  CHECK(results == 3);
  CHECK(problems == 2);
  auto hypertension = full.response().find_node([](pugi::xml_node n) {
    return std::string(n.name()) == "Code" && std::string(n.attribute("Term").value()) == "Hypertension";
  });
  CHECK(std::string(hypertension.attribute("Code").value()) == "XE0Ub");

  Reply appointments = ok(c, "GetPatientRecord", identity + "<Filter><Appointments/></Filter>");
  CHECK(appointments.at("Demographics/FirstName") == "Margaret");  // always
  CHECK(appointments.count("NonClinical", "Appointment") == 3);
  CHECK(!appointments.response().child("Clinical"));

  Reply medication_only = ok(c, "GetPatientRecord", identity + "<Filter><Medication/></Filter>");
  CHECK(medication_only.count("Clinical", "Event") == 3);
  CHECK(!medication_only.response().child("NonClinical"));

  Reply results_only = ok(c, "GetPatientRecord", identity + "<Filter><Results/></Filter>");
  CHECK(results_only.count("Clinical", "Event") == 3);
  CHECK(results_only.at("Clinical/Event/ClinicalCode/Units") != "");

  Reply demographics = ok(c, "GetPatientRecord", identity + "<Filter><Demographics/></Filter>");
  CHECK(demographics.at("Demographics/DateOfBirth") == "1948-03-14");
  CHECK(!demographics.response().child("Clinical"));
  CHECK(!demographics.response().child("NonClinical"));

  Reply windowed = ok(c, "GetPatientRecord",
                      identity + "<Filter><Appointments/><MinEffectiveDate>2025-09-01</MinEffectiveDate></Filter>");
  CHECK(windowed.count("NonClinical", "Appointment") == 2);

  // OutputScheme/Codes Snomed (the envelope element the destination adds).
  {
    std::string req = request("GetPatientRecord", identity + "<Filter><Results/></Filter>");
    req.replace(req.find("<FunctionParameters>"), 0, "<OutputScheme><Codes>Snomed</Codes></OutputScheme>");
    c.send(req);
    Reply snomed = read_reply(c);
    auto code = snomed.response().first_element_by_path("Clinical/Event/ClinicalCode/Code");
    CHECK(std::string(code.attribute("Scheme").value()) == "SNOMED");
  }

  Reply no_identity = call(c, "GetPatientRecord");
  CHECK(no_identity.error() == "missing parameter Identity/NHSNumber (no patient record is open)");
  CHECK(no_identity.permanent());
  Reply unknown = call(c, "GetPatientRecord", "<Identity><NHSNumber>4917111072</NHSNumber></Identity>");
  CHECK(unknown.error() == "no patient with NHS number 4917111072");
}

TEST_CASE("EPR: UpdatePatientRecord changes demographics", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply updated = ok(c, "UpdatePatientRecord",
                     "<Identity><NHSNumber>9990000603</NHSNumber></Identity><Demographics><Surname>Kelly</Surname>"
                     "<Address><Road>Malone Road</Road><Postcode>BT9 5BN</Postcode></Address>"
                     "<MobileTelephone>07700 900604</MobileTelephone></Demographics>");
  CHECK(updated.at("Identity/NHSNumber") == "9990000603");
  CHECK(updated.at("Demographics/Surname") == "Kelly");

  Reply record = ok(c, "GetPatientRecord", "<Identity><NHSNumber>9990000603</NHSNumber></Identity><Filter><Demographics/></Filter>");
  CHECK(record.at("Demographics/Surname") == "Kelly");
  CHECK(record.at("Demographics/FirstName") == "Chloe");
  CHECK(record.at("Demographics/Address/Road") == "Malone Road");
  CHECK(record.at("Demographics/Address/HouseNumber") == "9");
  CHECK(record.at("Demographics/Address/Postcode") == "BT9 5BN");
  CHECK(record.at("Demographics/MobileTelephone") == "07700 900604");

  Reply no_changes = call(c, "UpdatePatientRecord", "<Identity><NHSNumber>9990000603</NHSNumber></Identity>");
  CHECK(no_changes.error() == "missing parameter Demographics");
  CHECK(no_changes.permanent());
  Reply bad_phone = call(c, "UpdatePatientRecord",
                         "<Identity><NHSNumber>9990000603</NHSNumber></Identity><Demographics>"
                         "<HomeTelephone>call me</HomeTelephone></Demographics>");
  CHECK(bad_phone.error() == "HomeTelephone 'call me' is not a telephone number");
}

TEST_CASE("EPR: errors for an unknown function, a missing parameter and a wrong key", "[systemone][epr]") {
  Epr epr;
  auto c = Connection::to(epr.port);
  Reply unknown = call(c, "ExitClient");
  CHECK(unknown.error() == "Unknown function ExitClient");
  CHECK(unknown.permanent());

  Reply missing = call(c, "GetAppointments");
  CHECK(missing.error() == "missing parameter PatientID or NHSNumber");
  CHECK(missing.permanent());

  Reply wrong_key = call(c, "GetPatient", "<PatientID>P100000</PatientID>", "not-the-key");
  CHECK(wrong_key.error() == "invalid API key");
  CHECK(wrong_key.permanent());
  CHECK(wrong_key.at("Patient/PatientID").empty());

  // The connection is still usable after each error.
  CHECK(ok(c, "GetPatient", "<PatientID>P100000</PatientID>").at("Patient/PatientID") == "P100000");
}

TEST_CASE("EPR: many requests on one connection, and clients that close after one", "[systemone][epr]") {
  Epr epr;
  {
    auto c = Connection::to(epr.port);
    for (int i = 0; i < 20; ++i) {
      std::string id = "P10000" + std::to_string(i % 10);
      CHECK(ok(c, "GetPatient", "<PatientID>" + id + "</PatientID>").at("Patient/PatientID") == id);
    }
  }
  {
    // Two requests written at once: answered in order.
    auto c = Connection::to(epr.port);
    c.send(request("GetPatient", "<PatientID>P100001</PatientID>") + request("GetPatient", "<PatientID>P100002</PatientID>"));
    CHECK(read_reply(c).at("Patient/PatientID") == "P100001");
    CHECK(read_reply(c).at("Patient/PatientID") == "P100002");
  }
  for (int i = 0; i < 3; ++i) {
    // Send, half-close, read the answer: still delivered, then the server closes.
    auto c = Connection::to(epr.port);
    c.send(request("GetPatient", "<PatientID>P100003</PatientID>"));
    c.shutdown_write();
    CHECK(read_reply(c).at("Patient/Demographics/Surname") == "MacDonald");
    CHECK(c.peer_closed());
  }
  {
    // A client that disconnects without waiting does not disturb the next one.
    auto gone = Connection::to(epr.port);
    gone.send(request("GetPatients", ""));
  }
  auto c = Connection::to(epr.port);
  CHECK(ok(c, "GetPatients").count("Patients", "Patient") == 10);
}

TEST_CASE("EPR: added and updated patients survive a restart", "[systemone][epr]") {
  Epr epr;
  std::string nhs;
  {
    auto c = Connection::to(epr.port);
    Reply added = ok(c, "AddPatient",
                     "<FirstName>Rhys</FirstName><Surname>Morgan</Surname><DateOfBirth>1982-03-01</DateOfBirth>"
                     "<Sex>M</Sex><Postcode>LL57 2DG</Postcode>");
    nhs = added.at("Patient/Identity/NHSNumber");
    ok(c, "UpdatePatient", "<PatientID>P100002</PatientID><MobileTelephone>07700 900111</MobileTelephone>");
  }
  epr.restart();
  auto c = Connection::to(epr.port);
  Reply again = ok(c, "GetPatient", "<NHSNumber>" + nhs + "</NHSNumber>");
  CHECK(again.at("Patient/PatientID") == "P100010");
  CHECK(again.at("Patient/Demographics/Surname") == "Morgan");
  CHECK(ok(c, "GetPatient", "<PatientID>P100002</PatientID>").at("Patient/Demographics/MobileTelephone") ==
        "07700 900111");
  CHECK(ok(c, "GetPatients").count("Patients", "Patient") == 11);  // not re-seeded
  // The next patient gets the next id, not a reused one.
  CHECK(ok(c, "AddPatient",
           "<FirstName>Ffion</FirstName><Surname>Morgan</Surname><DateOfBirth>1984-07-12</DateOfBirth><Sex>F</Sex>")
            .at("Patient/PatientID") == "P100011");
  CHECK(epr.log().find("seeded the demo EPR") == std::string::npos);  // only the first engine's log
}

TEST_CASE("EPR: the systemone destination calls the EPR", "[systemone][epr][destination]") {
  Epr epr;
  MemoryContext context;
  artery::ConnectorOptions options =
      systemone_test::options({{"remote", "127.0.0.1:" + std::to_string(epr.port)}, {"api_key", kKey}, {"rate_limit", "0"}});
  auto destination = artery::systemone::make_systemone_destination(options, context);
  std::string error;
  REQUIRE(destination->start(error));
  auto send = [&](std::string content, std::string function) {
    artery::OutboundMessage m;
    m.content = std::move(content);
    m.data_type = "xml";
    m.vars = {{"function", std::move(function)}};
    std::promise<SendResult> promise;
    auto future = promise.get_future();
    destination->send(std::move(m), [&promise](SendResult r) { promise.set_value(std::move(r)); });
    REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return future.get();
  };
  SendResult sent = send("<PatientID>P100007</PatientID>", "GetPatient");
  REQUIRE(sent.status == SendResult::Status::sent);
  CHECK(sent.response.find("<Surname>Hussain</Surname>") != std::string::npos);
  // The EPR approved the device: later requests carry its DeviceID.
  CHECK(context.state.count("device_id") == 1);

  SendResult record = send("<Identity><NHSNumber>9990000670</NHSNumber></Identity><Filter><Medication/></Filter>",
                           "GetPatientRecord");
  REQUIRE(record.status == SendResult::Status::sent);
  CHECK(record.response.find("Metformin 500mg tablets") != std::string::npos);

  SendResult refused = send("<PatientID>P000001</PatientID>", "GetPatient");
  CHECK(refused.status == SendResult::Status::rejected);
  CHECK(refused.error.find("no patient with PatientID P000001") != std::string::npos);
  destination->stop();
}

TEST_CASE("EPR: artery send systemone prints the patient", "[systemone][epr][cli]") {
  Epr epr;
  const std::string remote = "127.0.0.1:" + std::to_string(epr.port);
  std::string output;
  int code = artery::testing::run_artery({"send", "systemone", remote, "--function", "GetPatient", "--param",
                                          "PatientID=P100008", "--plugins", ARTERY_PLUGIN_DIR},
                                         output);
  INFO(output);
  CHECK(code == 0);
  CHECK(output.find("<Surname>Fitzgerald</Surname>") != std::string::npos);
  CHECK(output.find("\n    <Patient>") != std::string::npos);  // pretty-printed

  // Nested parameters with '/', and an empty element from K=.
  code = artery::testing::run_artery({"send", "systemone", remote, "--function", "GetPatientRecord", "--param",
                                      "Identity/NHSNumber=9990000743", "--param", "Filter/Results=", "--plugins",
                                      ARTERY_PLUGIN_DIR},
                                     output);
  CHECK(code == 0);
  CHECK(output.find("Serum TSH level") != std::string::npos);
  CHECK(output.find("<Appointment>") == std::string::npos);

  code = artery::testing::run_artery({"send", "systemone", remote, "--function", "GetPatient", "--param",
                                      "PatientID=P404", "--plugins", ARTERY_PLUGIN_DIR},
                                     output);
  CHECK(code == 1);
  CHECK(output.find("no patient with PatientID P404") != std::string::npos);

  code = artery::testing::run_artery({"send", "systemone", remote, "--function", "GetFunctions", "--api-key", "wrong",
                                      "--plugins", ARTERY_PLUGIN_DIR},
                                     output);
  CHECK(code == 1);
  CHECK(output.find("invalid API key") != std::string::npos);

  // The menu, driven through stdin: one patient (4), add a patient (8), exit (0).
  const std::string script = "printf '4\\nP100001\\n8\\nNia\\nBrown\\n2000-01-02\\nF\\n\\n\\n\\nNP20 1AB\\n\\n\\n0\\n' | " +
                             std::string(ARTERY_BINARY) + " send systemone " + remote + " --interactive --plugins " +
                             ARTERY_PLUGIN_DIR + " 2>&1";
  FILE* menu = ::popen(script.c_str(), "r");
  REQUIRE(menu);
  std::string menu_output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, menu)) > 0;) menu_output.append(buffer, n);
  INFO(menu_output);
  CHECK(::pclose(menu) == 0);
  CHECK(menu_output.find("<Surname>Evans</Surname>") != std::string::npos);
  CHECK(menu_output.find("<PatientID>P100010</PatientID>") != std::string::npos);
  CHECK(menu_output.find("<Postcode>NP20 1AB</Postcode>") != std::string::npos);

  code = artery::testing::run_artery({"send", "systemone", remote, "--param", "X=1"}, output);
  CHECK(code == 2);
  CHECK(output.find("--function is required") != std::string::npos);
  code = artery::testing::run_artery({"send", "systemone", remote, "--function", "GetPatient", "--param", "<x>=1"}, output);
  CHECK(code == 2);
  CHECK(output.find("bad parameter name '<x>'") != std::string::npos);
}
