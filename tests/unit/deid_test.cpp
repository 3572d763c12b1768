// The deid rules on every HL7 v2 and JSON FHIR sample: for each sample an
// independent list of its identifiers, read by hand from the sample, none of
// which may survive anywhere in the output; pseudonyms stable per key; kept
// fields kept; malformed input refused with a reason.
#include "deid/deidentify.hpp"
#include "deid/dates.hpp"
#include "deid/text_scrubber.hpp"

#include <artery/hl7.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

using namespace artery;

namespace {

std::string fixture(const std::string& relative) {
  std::ifstream in(std::string(ARTERY_FIXTURES) + "/samples/" + relative, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// True when `id` occurs in `text` ignoring case; an id that starts or ends
// with a letter or digit must stand as a word there (EVE is not in LEVEL).
bool survives(const std::string& text, const std::string& id) {
  const std::string t = lower(text), i = lower(id);
  for (std::size_t pos = t.find(i); pos != std::string::npos; pos = t.find(i, pos + 1)) {
    const bool start = pos == 0 || !std::isalnum(static_cast<unsigned char>(t[pos - 1])) ||
                       !std::isalnum(static_cast<unsigned char>(i.front()));
    const std::size_t end = pos + i.size();
    const bool stop = end == t.size() || !std::isalnum(static_cast<unsigned char>(t[end])) ||
                      !std::isalnum(static_cast<unsigned char>(i.back()));
    if (start && stop) return true;
  }
  return false;
}

deid::Profile profile(const std::string& key = "test-key-0123456789abcdef") {
  ::setenv("ARTERY_DEID_TEST_KEY", key.c_str(), 1);
  deid::ProfileSettings s;
  s.values["key_env"] = "ARTERY_DEID_TEST_KEY";
  return deid::build_profile(s);
}

// Hand-written from each sample: names, ids, phone numbers, addresses,
// dates of birth, clinicians. States, years and codes are kept on purpose.
const std::map<std::string, std::vector<std::string>>& hl7_identifiers() {
  static const std::map<std::string, std::vector<std::string>> ids = {
      {"adt_a01_v23_lfh_escapes_T_R.hl7",
       {"0a8a1752-e336-43e1-bf7f-0c8f6f437ca3", "Generator", "19690720", "(866)845-0900", "Account_0a8a1752",
        "123-456-7890", "BIRTH PLACE", "Visit_0a3be81e-144b-4885-9b4e-c5cd33c8f038", "Attending", "Referring",
        "Consulting", "Admitting", "2905", "5755", "770542", "59367", "20210330", "MSGID_4e1c575f"}},
      {"adt_a01_v23_ms_accmgr_insurance.hl7",
       {"10006579", "DUCK", "DONALD", "DUCK ST", "DUCK RD", "FOWL", "999990000", "8885551212", "8885552222",
        "40007716", "123121234", "HUEY", "3583", "DISNEY", "WALT", "19241010", "8291", "Cartoon Ducks",
        "123121234A", "056269770", "20050110", "599102"}},
      {"adt_a01_v23_pythonhl7_cerner_repeats.hl7",
       {"2148790", "162840", "3722", "184737", "Q2147670", "RUFUSS", "MELLODIAL", "19521129", "221 CANVIEW",
        "BRONX", "10454", "3472444150", "O75622322", "125544697", "863968", "FARP", "YONAN", "03525", "BENNETT",
        "NELLY", "10981226", "GOODLIN", "FLUSHING", "11355", "25892261", "JNJ45517", "062420044",
        "Q150084616T145947960"}},
      {"adt_a01_v24_hapi_docs_example.hl7",
       {"9999999999", "2216506", "Duck", "Donald", "19720227", "123 Foo", "M6G 3E6", "TORONTO", "(416)111-1111",
        "211004554", "MOUSE", "MICKEY", "1811", "22139243"}},
      {"adt_a01_v25_hapi_custom_zpi_segment.hl7",
       {"5520255", "ZZZZZZ83M64Z148R", "19830824", "Fido", "Fred", "13936", "5068", "2008003369", "TEST2",
        "20070103"}},
      {"adt_a03_v25_hapi_discharge.hl7",
       {"5520255", "ZZZZZZ83M64Z148R", "19830824", "13936", "5068", "2008003369", "TEST2", "20070103"}},
      {"adt_a04_v23_ms_registration.hl7",
       {"123456789", "BROS", "MARIO", "19850101", "123 FAKE STREET", "LUIGI", "TOADSTOOL", "A1B2C3", "1234",
        "(555)555-0123", "(555)555-0124", "5550123", "12345678", "PEACH", "PRINCESS", "ANOTHER CASTLE",
        "(123)555-1234", "(123)555-2345", "(123)555-3456", "(123)555-4567", "KOOPA", "BOWSER", "DINO", "YOSHI",
        "DUCKHUNT", "0123456789", "Q123456789T123456789X123456"}},
      {"adt_a24_v24_hapi_nondefault_encoding_chars.hl7", {"11111", "22222", "SMITH", "JOHN", "2003582144"}},
      {"batch_fhs_bhs_v25_pythonhl7_vinah.hl7",
       {"0000112234", "XXXXXXXXXX", "10131113", "RICHMOND", "3121", "12334456778890", "12334456778891"}},
      {"erp_z99_v231_hapi_olis_zsegment_znt.hl7",
       {"1011848460", "WXSSXY", "MARIE", "RHONDA", "19740209", "22 Marvell", "OSHAWA", "L1G 2B0", "Mailing",
        "M1R 2B0", "5768294", "email@address.com", "2127924", "2127925", "1234567"}},
      {"mdm_t02_v23_ms_simhospital_nhs.hl7",
       {"3196695816", "6597923189", "Clark", "Frederick", "19300122", "Blocker House", "Restaurant Square",
        "Ilford", "WI3 7KU", "073 0075 3040", "Woolfson", "Kathleen", "C006", "845439", "PGN-04", "10535",
        "Beethoven", "Ludwig", "2RWRVAJ627408", "307 W MCCARTY", "5555555", "Greenwood"}},
      {"mdm_t02_v251_hl7v2tofhir_tx_ft_ed.hl7",
       {"000322330", "DOE", "19941201", "3003 TESTING RD", "LOT 92", "BOULDER", "12345-2144", "(103)144-1441",
        "1443441", "1055989633", "1123456771", "MITCHELL", "HILA", "1234567891", "ORD777999", "432344432",
        "GORD874299", "5742200012", "Radon", "Nicholas", "1780850958", "JOHNSON", "VALERIE", "3738931392",
        "PN_Radon", "5742200445", "Natasha", "BOYLE", "KRISTEN", "08/22/2023", "Base64 encoded", "Gresco"}},
      {"omd_o03_v25_hapi_diet_repeats.hl7",
       {"CIPNUM", "CIPTWO", "DUMAS", "VICTOR HUGO", "ZAPATA", "19740325", "100002739", "HERNAME"}},
      {"oml_o21_v251_hapi_lab_order.hl7",
       {"12345", "EVERYMAN", "ADAM", "19800101", "12345678", "222221", "NURSE", "NANCY", "BLEEDER", "222222",
        "PHYSICIAN", "123456781", "123456782", "123456783", "msgOP123", "msgOF102"}},
      {"oml_o33_v25_hl7apy_repeating_groups.hl7",
       {"1010110909194822", "PIPPO", "PLUTO", "19790515", "VIA DI TOPOLINO", "CAGLIARI", "09100", "092009",
        "PPPPPP79E15B354I", "1107080001", "100187400201", "100187400101", "83428", "978226056138290600"}},
      {"orm_o01_v23_hl7dotnetcore_escapes_X0D_br_H.hl7",
       {"42311", "Jane", "Doe", "19921112", "123 Worth Drive", "Troy", "45373", "9373328660", "3338660",
        "111223333", "Smith", "Michael", "11777-60"}},
      {"orm_o01_v23_ms_lab_order.hl7",
       {"10006579", "DUCK", "DONALD", "19241010", "FOWL", "999990000", "8885551212", "40007716", "123121234",
        "DISNEY", "WALT", "88502218", "82503246", "MOUSE", "MINNIE", "COLLECT", "URO", "MSGID20060307110114"}},
      {"oru_r01_v23_hapi_olis_ft_escapes_F_br.hl7",
       {"7005728", "LEIGHTON", "RACHEL", "DIAMOND", "19310313", "200 ANYWHERE", "M6H 2T9", "(416)888-8888",
        "1014071185", "BLAKE", "THOR", "921379", "T09-106575", "10015716"}},
      {"oru_r01_v24_hapi_bloodgas_ft_H_N_S.hl7",
       {"0129296H", "BRAUN", "GARY", "11-6879530-GAS-0", "1295102", "16/06/2011", "72313573"}},
      {"oru_r01_v24_hapi_minimal_znt_zsegment.hl7", {"ZNT1"}},  // no patient; the Z-segment's text goes
      {"oru_r01_v24_hapi_va_vista_nondefault_delims.hl7",
       {"6240020", "NURSE", "THREE", "55253408603", "20061006"}},
      {"oru_r01_v24_ms_glucose_sn_tz.hl7",
       {"555-44-4444", "EVERYWOMAN", "EVE", "JONES", "19620320", "153 FERNWOOD", "STATESVILLE", "35292",
        "(206)3345232", "(206)752-121", "AC555444444", "67-A4335", "20030520", "845439", "1045813", "555-55-5555",
        "PRIMARY", "PATRICIA", "444-44-4444", "HIPPOCRATES", "HOWARD", "CNTRL-3456"}},
      {"oru_r01_v24_pythonhl7_glucose_sn.hl7",
       {"555-44-4444", "EVERYWOMAN", "EVE", "JONES", "196203520", "153 FERNWOOD", "STATESVILLE", "35292",
        "(206)3345232", "(206)752-121", "AC555444444", "67-A4335", "20030520", "845439", "1045813", "555-55-5555",
        "PRIMARY", "PATRICIA", "444-44-4444", "HIPPOCRATES", "HOWARD", "LEVEL SEVEN HEALTHCARE", "CNTRL-3456"}},
      {"oru_r01_v251_ms_elr_ed_rp_cwe.hl7",
       {"Finn", "Huckleberry", "19630815", "721 SPRING", "GRINNELL", "50112", "112233421", "Alaz", "Mohammed",
        "Mahi", "SampleDevice", "6547 Drums", "Flint", "48507", "4502369", "00643169001763", "123ABC", "21A11F",
        "https://testurl.com", "Zafar", "Mahen", "EI21obx1", "Hippocrates", "1234567", "1122334", "Woolfson",
        "Kathleen", "Condoc", "John Smith", "Chris Rock", "Emma Watson", "018840", "1307506", "54302-DEX",
        "10535", "Beethoven", "Ludwig", "9941339108", "Mellie", "Rosallie", "115 MAINSTREET", "GOODTOWN", "42010",
        "(608)271-9001", "Mahendra", "MLEE", "AARON", "9941339116", "2012545", "2012999999",
        "426d2726-51fc-89fe-a946-8596e80a80eb", "PAI12", "20120314"}},
      {"oru_r01_v251_nist_lri_cbc.hl7",
       {"PATID1234", "Jones", "William", "19610615", "ORD666555", "R-991133", "GORD874233", "57422", "Radon",
        "Nicholas", "10093", "Deluca", "Naddy", "2070 Test Park", "Los Angeles", "90067", "2343242", "Knowsalot",
        "Phil", "NIST-LRI-NG-002.00"}},
      {"oru_r01_v25_ms_lab_cbc.hl7",
       {"10006579", "DUCK", "DONALD", "19241010", "FOWL", "999990000", "8885551212", "40007716", "123121234",
        "88502218", "82503246", "COLLECT", "URO", "CYTO", "JANE", "855238581", "890775544", "SpecimenID"}},
      {"ppr_pc1_v231_ms_problem_add.hl7", {"10290", "KARLS", "TOM", "ANDREW", "20040530", "398-44-5555"}},
      {"rsp_k22_v25_hl7apy_pdq_response.hl7",
       {"1010110909194822", "10101", "JOHN", "SMITH", "19690113", "VIA DELLE VIE", "CAGLIARI", "092009"}},
      {"siu_s12_v28_ms_new_appointment.hl7",
       {"36996", "9941339109", "Smith", "Adam", "Mellie", "(608)271-9000", "(610)271-9000", "DENT", "COREY",
        "115 MAINSTREET", "GOODTOWN", "42010", "1234567", "PATID1234", "123456789", "PATID567", "EVERYMAN",
        "Aniston", "Josh", "Bing", "stanley", "Angela", "198808181126", "elbert", "Hospital Lane", "Ann Arbor",
        "Near Highway", "78788788", "12121212", "4000776", "PSSN123121234", "DLN-123", "1212121", "89898989",
        "ATTEND", "AARON", "REFER", "LINDA", "ADMIT", "Zafar", "Mahendra", "Pauly", "Berrie", "005454", "DIAG",
        "ROBIN", "Robert"}},
      {"siu_s14_v23_hapi_nested_rgs_groups.hl7",
       {"569576", "990119205", "000533921J", "TEST MP3", "51873", "AL-RADI", "ALRADI", "OSMAN", "33043", "AUNE",
        "KELLY", "102694", "ANGELINI", "T1240UHN", "ASTA"}},
      {"vxu_v04_v251_nist_iz_admin_child_max.hl7",
       {"D26376273", "Snow", "Madelynn", "Ainsley", "Lam", "Morgan", "20070706", "32 Prescott", "Warwick", "02452",
        "5558563", "IZ-783274", "I-23432", "Burden", "Donna", "57422", "RADON", "NICHOLAS", "7832-1", "Lemon",
        "Mike", "NIST-IZ-001.00"}},
      {"vxu_v04_v251_nist_td_vaccine.hl7",
       {"90012", "Wong", "Elise", "19830615", "9200 Wellington", "Bozeman", "59715", "5557896",
        "Elise.Wong@isp.com", "4422", "13696", "7824", "Jackson", "Lily", "Suzanne", "Wilma", "Elizabeth",
        "38760", "35508", "NIST-IZ-AD-2.1_Send_V04_Z22"}},
  };
  return ids;
}

}  // namespace

TEST_CASE("deid.hl7: no identifier of any sample survives", "[deid]") {
  const auto p = profile();
  std::size_t samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ARTERY_FIXTURES) + "/samples/hl7v2")) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    INFO(name);
    auto list = hl7_identifiers().find(name);
    REQUIRE(list != hl7_identifiers().end());  // every sample has its list
    const std::string out = deid::deidentify_hl7(fixture("hl7v2/" + name), p);
    INFO(out);
    for (const auto& id : list->second) {
      INFO("identifier: " << id);
      CHECK_FALSE(survives(out, id));
    }
    ++samples;
  }
  CHECK(samples == hl7_identifiers().size());
}

TEST_CASE("deid.hl7: kept fields survive and the output still parses", "[deid]") {
  const auto p = profile();
  const std::string out = deid::deidentify_hl7(fixture("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"), p);
  auto msg = hl7::Message::parse(out);
  REQUIRE(msg);
  CHECK(msg->get("PID-8") == "F");           // sex kept
  CHECK(msg->get("PID-7") == "1962");        // year of birth only
  CHECK(msg->get("PID-11.4") == "OH");       // state kept
  CHECK(msg->get("PID-11.1").empty());       // street gone
  CHECK(msg->get("OBX-5.2") == "182");       // the value
  CHECK(msg->get("OBX-3.1") == "1554-5");    // the code
  CHECK(msg->get("MSH-9") == "ORU^R01");
  CHECK(msg->get("PID-3.1").size() == 16);   // pseudonym
  // Dates shifted by whole days, times kept: OBR-7 was 07:30 and MSH-7 09:30 the same day.
  const std::string obr7 = msg->get("OBR-7"), msh7 = msg->get("MSH-7");
  CHECK(obr7.substr(8) == "073000+0600");
  CHECK(msh7.substr(8) == "093000+0600");
  CHECK(obr7.substr(0, 8) == msh7.substr(0, 8));
  CHECK(obr7.substr(0, 8) != "20020215");
}

TEST_CASE("deid.hl7: one patient, one pseudonym and one date offset per key", "[deid]") {
  const auto a = profile("key-one-0123456789abcdef");
  // The same patient (MRN 10006579) in an ADT, an ORM and an ORU.
  auto pid3 = [](const std::string& out) { return hl7::Message::parse(out)->get("PID-3.1"); };
  auto dob = [](const std::string& out) { return hl7::Message::parse(out)->get("PID-7"); };
  const std::string adt = deid::deidentify_hl7(fixture("hl7v2/adt_a01_v23_ms_accmgr_insurance.hl7"), a);
  const std::string orm = deid::deidentify_hl7(fixture("hl7v2/orm_o01_v23_ms_lab_order.hl7"), a);
  const std::string oru = deid::deidentify_hl7(fixture("hl7v2/oru_r01_v25_ms_lab_cbc.hl7"), a);
  CHECK(pid3(adt) == pid3(orm));
  CHECK(pid3(orm) == pid3(oru));
  CHECK(pid3(adt) != "10006579");
  // Born 1924: over 89, so only "90 or older" is said.
  CHECK(dob(adt) == std::to_string(deid::current_year() - 90));
  const auto b = profile("key-two-0123456789abcdef");
  CHECK(pid3(deid::deidentify_hl7(fixture("hl7v2/oru_r01_v25_ms_lab_cbc.hl7"), b)) != pid3(oru));
  // The same message twice gives the same output (dates shift the same way).
  CHECK(deid::deidentify_hl7(fixture("hl7v2/oru_r01_v25_ms_lab_cbc.hl7"), a) == oru);
}

TEST_CASE("deid.hl7: malformed input is refused with the reason", "[deid]") {
  const auto p = profile();
  CHECK_THROWS_WITH(deid::deidentify_hl7("", p), Catch::Contains("must start with MSH"));
  CHECK_THROWS_WITH(deid::deidentify_hl7("PID|1||123\r", p), Catch::Contains("must start with MSH"));
  CHECK_THROWS_WITH(deid::deidentify_hl7("MSH|^~\r", p), Catch::Contains("HL7 parse error"));
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(ARTERY_FIXTURES) + "/samples/hl7v2/malformed")) {
    INFO(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    try {
      deid::deidentify_hl7(text.str(), p);  // some parse: then it must not crash either
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).size() > 10);
    }
  }
}

TEST_CASE("deid profile: no key, bad mode and modes applied", "[deid]") {
  ::unsetenv("ARTERY_DEID_MISSING");
  deid::ProfileSettings s;
  CHECK_THROWS_WITH(deid::build_profile(s), Catch::Contains("no key"));
  s.values["key_env"] = "ARTERY_DEID_MISSING";
  CHECK_THROWS_WITH(deid::build_profile(s), Catch::Contains("is not set"));
  ::setenv("ARTERY_DEID_SHORT", "short", 1);
  s.values["key_env"] = "ARTERY_DEID_SHORT";
  CHECK_THROWS_WITH(deid::build_profile(s), Catch::Contains("at least 16 bytes"));
  s.values["key_env"] = "ARTERY_KEY";  // the storage key is not an HMAC key for scripts
  CHECK_THROWS_WITH(deid::build_profile(s), Catch::Contains("must name a variable starting with ARTERY_DEID"));
  s.values.erase("key_env");
  s.values["key_file"] = "/nonexistent/deid.key";
  CHECK_THROWS_WITH(deid::build_profile(s), Catch::Contains("cannot read key_file"));
  auto p = profile();
  deid::ProfileSettings bad;
  bad.values["key_env"] = "ARTERY_DEID_TEST_KEY";
  bad.modes["names"] = "shift";
  CHECK_THROWS_WITH(deid::build_profile(bad), Catch::Contains("mode 'shift' for names"));
  deid::ProfileSettings year;
  year.values["key_env"] = "ARTERY_DEID_TEST_KEY";
  year.modes["dates"] = "year";
  year.modes["identifiers"] = "remove";
  year.keep = std::vector<std::string>{"zip3"};
  const auto y = deid::build_profile(year);
  auto msg = hl7::Message::parse(deid::deidentify_hl7(fixture("hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7"), y));
  REQUIRE(msg);
  CHECK(msg->get("OBR-7") == "2002");
  CHECK(msg->get("PID-3").empty());
  CHECK(msg->get("PID-8").empty());         // sex not kept
  CHECK(msg->get("PID-11.5") == "352");     // zip3
  CHECK(msg->get("PID-11.4").empty());      // state not kept
}

TEST_CASE("deid free text: NHS mod-11, SSN, phone, email, URL, IP, dates", "[deid]") {
  CHECK(deid::nhs_check_digit_ok("9434765919"));
  CHECK_FALSE(deid::nhs_check_digit_ok("9434765918"));
  deid::TextScrubber s;
  s.add_known("Everywoman", "[NAME]");
  const std::string out = s.scrub_free_text(
      "Mrs Everywoman (NHS 943 476 5919, SSN 123-45-6789) rang 0161 496 0000 and (206)334-5232 from 10.1.2.3 "
      "on 12/03/2020 and 3 March 2020; see https://portal.example/p/77 or mail eve@example.org. "
      "MRN A1234567. Glucose 5.4 mmol/L, OID 2.16.840.1.113883.4.3.3.5.");
  INFO(out);
  for (const char* id : {"Everywoman", "943 476 5919", "123-45-6789", "0161 496 0000", "(206)334-5232", "10.1.2.3",
                         "12/03/2020", "3 March 2020", "portal.example", "eve@example.org", "A1234567"})
    CHECK_FALSE(survives(out, id));
  CHECK(survives(out, "5.4 mmol/L"));
  CHECK(survives(out, "2.16.840.1.113883.4.3.3.5"));
}

namespace {
const std::map<std::string, std::vector<std::string>>& fhir_identifiers() {
  static const std::map<std::string, std::vector<std::string>> ids = {
      {"patient_example_r4.json",
       {"12345", "Chalmers", "Peter", "James", "Windsor", "(03) 5555 6473", "(03) 3410 5613", "(03) 5555 8834",
        "1974-12-25", "534 Erewhon", "PleasantVille", "Rainbow", "3999", "du March", "dicte", "+33 (237) 998327",
        "14:35:45", "Acme Healthcare"}},
      {"bundle_transaction_r4.json", {"Chalmers", "Peter", "James", "1974-12-25", "234234", "456456"}},
      {"bundle_transaction_response_r4.json", {"Chalmers", "Peter", "1974-12-25"}},
      {"converted_ms_ADT01-23-expected.json",
       {"10006579", "DUCK", "DONALD", "123121234A", "1924-10-10", "111 DUCK ST", "FOWL", "999990000", "8885551212",
        "40007716", "599102"}},
      {"converted_ms_LAB-ORU-1-expected.json",
       {"10006579", "DUCK", "DONALD", "1924-10-10", "111 DUCK ST", "FOWL", "999990000", "8885551212"}},
      {"converted_hl7v2tofhir_ADT_A01_bundle.json", {"Gordon", "Denny", "23432"}},
      {"diagnosticreport_lab_f001_bundle_r4.json", {"nr1239044", "L2381"}},
      {"encounter_inpatient_f001_r4.json", {"v1451"}},
      {"medicationrequest_0301_r4.json", {"12345689"}},
      {"observation_lab_glucose_f001_r4.json", {"6323"}},
      {"observation_vitals_bloodpressure_r4.json", {"187e0c12-8dd2-67e2-99b2-bf273c878281"}},
      // No person in these: the test still runs them through.
      {"observation_vitals_body_temperature_r4.json", {}},
      {"operationoutcome_example_r4.json", {}},
      {"operationoutcome_validationfail_r4.json", {}},
  };
  return ids;
}
}  // namespace

TEST_CASE("deid.fhir: no identifier of the FHIR samples survives", "[deid]") {
  const auto p = profile();
  for (const auto& [name, list] : fhir_identifiers()) {
    INFO(name);
    const std::string out = deid::deidentify_fhir(fixture("fhir/" + name), p);
    INFO(out);
    for (const auto& id : list) {
      INFO("identifier: " << id);
      CHECK_FALSE(survives(out, id));
    }
  }
}

TEST_CASE("deid: one patient links across HL7 v2 and FHIR under one key", "[deid]") {
  const auto p = profile();
  // The same ORU as HL7 v2 and as the FHIR Bundle Microsoft's converter made of it.
  auto hl7_out = hl7::Message::parse(deid::deidentify_hl7(fixture("hl7v2/oru_r01_v25_ms_lab_cbc.hl7"), p));
  REQUIRE(hl7_out);
  const std::string fhir_out = deid::deidentify_fhir(fixture("fhir/converted_ms_LAB-ORU-1-expected.json"), p);
  // The MRN's pseudonym is the Patient identifier's.
  CHECK(fhir_out.find("\"value\":\"" + hl7_out->get("PID-3.1") + "\"") != std::string::npos);
  // OBX(2)-14 20141006062700+0700 is the first Observation's effectiveDateTime: shifted alike.
  const std::string obx14 = hl7_out->get("OBX(2)-14");
  REQUIRE(obx14.size() >= 8);
  const std::string iso = obx14.substr(0, 4) + "-" + obx14.substr(4, 2) + "-" + obx14.substr(6, 2) + "T06:27:00+07:00";
  INFO(obx14);
  CHECK(fhir_out.find("\"effectiveDateTime\":\"" + iso + "\"") != std::string::npos);
  CHECK(obx14.substr(0, 8) != "20141006");
}
