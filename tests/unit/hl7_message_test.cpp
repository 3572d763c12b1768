// HL7 v2 Message: parsing every public sample, byte-exact re-encoding, path
// access on known values, updates, and rejection of every malformed sample.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "artery/hl7.hpp"

namespace fs = std::filesystem;
using namespace artery::hl7;

namespace {

fs::path samples_dir() { return fs::path(ARTERY_FIXTURES) / "samples" / "hl7v2"; }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<fs::path> hl7_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".hl7") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

Message parse_sample(const std::string& name) {
  ParseError error;
  auto m = Message::parse(read_bytes(samples_dir() / name), &error);
  INFO(name << ": " << error.message << " at " << error.offset);
  REQUIRE(m);
  return std::move(*m);
}

}  // namespace

TEST_CASE("hl7: every sample parses and re-encodes byte for byte", "[hl7]") {
  auto files = hl7_files(samples_dir());
  REQUIRE(files.size() >= 30);
  int messages = 0;
  for (const auto& file : files) {
    const std::string bytes = read_bytes(file);
    // Files may hold several messages (the FHS/BHS batch; the OML^O21 file
    // has 13 separated by blank lines): split, then each must round-trip.
    ParseError split_error;
    auto split = split_batch(bytes, &split_error);
    INFO(file.filename().string() << ": " << split_error.message);
    REQUIRE(split);
    const std::vector<std::string>& texts = *split;
    if (texts.size() == 1) {
      CHECK(texts[0] == bytes);
    }
    for (const auto& text : texts) {
      ParseError error;
      auto m = Message::parse(text, &error);
      INFO(file.filename().string() << ": " << error.message << " at " << error.offset);
      REQUIRE(m);
      CHECK(m->encode() == text);
      CHECK(m->segment_name(0) == "MSH");
      CHECK_FALSE(m->message_type().empty());
      // A copy is independent and encodes the same.
      Message copy = *m;
      CHECK(copy.encode() == text);
      ++messages;
    }
  }
  CHECK(messages == static_cast<int>(files.size()) + 2 + 12);  // the batch file holds 3, the OML file 13
}

TEST_CASE("hl7: every malformed sample is an error value", "[hl7]") {
  auto files = hl7_files(samples_dir() / "malformed");
  REQUIRE(files.size() == 18);
  for (const auto& file : files) {
    const std::string bytes = read_bytes(file);
    ParseError error;
    auto m = Message::parse(bytes, &error);
    INFO(file.filename().string());
    CHECK_FALSE(m);
    CHECK_FALSE(error.message.empty());
    CHECK(error.offset <= bytes.size());
    // Through the batch splitter too: either the structure or a message fails.
    ParseError batch_error;
    auto split = split_batch(bytes, &batch_error);
    bool all_parse = split.has_value();
    if (split) {
      for (const auto& text : *split) all_parse = all_parse && Message::parse(text).has_value();
    }
    CHECK_FALSE(all_parse);
  }
}

TEST_CASE("hl7: malformed samples report the specific problem", "[hl7]") {
  auto error_of = [](const std::string& name) {
    ParseError error;
    auto m = Message::parse(read_bytes(samples_dir() / "malformed" / name), &error);
    CHECK_FALSE(m);
    return error;
  };
  CHECK(error_of("fuzz_empty_file_nhapi.hl7").message == "empty message");
  CHECK(error_of("missing_msh_starts_with_pid_hl7apy.hl7").message.find("MSH") != std::string::npos);
  CHECK(error_of("msh_duplicate_encoding_chars_hl7apy.hl7").message.find("duplicate") != std::string::npos);
  CHECK(error_of("msh_too_many_encoding_chars_hl7apy.hl7").message.find("too many") != std::string::npos);
  CHECK(error_of("msh_no_encoding_chars_hl7apy.hl7").message.find("no encoding characters") != std::string::npos);
  CHECK(error_of("truncated_non_utf8_cp1252_pythonhl7.hl7").message.find("MSH-9") != std::string::npos);
  CHECK(error_of("truncated_msh9_hl7apy.hl7").message.find("MSH-12") != std::string::npos);
  CHECK(error_of("fuzz_leading_nul_bytes_nhapi.hl7").message.find("NUL") != std::string::npos);
  CHECK(error_of("fuzz_mshh_no_field_separator_nhapi.hl7").message.find("field separator") != std::string::npos);
  CHECK(error_of("fuzz_high_bytes_in_encoding_chars_nhapi.hl7").message.find("NUL") != std::string::npos);
  auto blank = error_of("blank_segment_line_hl7dotnetcore.hl7");
  CHECK(blank.message.find("empty segment line") != std::string::npos);
  CHECK(blank.offset == read_bytes(samples_dir() / "malformed" / "blank_segment_line_hl7dotnetcore.hl7").find("\r\n\r\n") + 2);
  auto bad_id = error_of("invalid_segment_id_I_hapi.hl7");
  CHECK(bad_id.message.find("invalid segment id") != std::string::npos);
  CHECK(bad_id.offset == read_bytes(samples_dir() / "malformed" / "invalid_segment_id_I_hapi.hl7").find("\nI|") + 1);
}

TEST_CASE("hl7: other structural errors", "[hl7]") {
  auto fails = [](std::string_view text) { return !Message::parse(text).has_value(); };
  CHECK(fails("MSH|^~\\&"));                                        // no MSH-9
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\rMSH|^~\\&|a|b|c|d|e||ADT^A01|2|P|2.5\r"));  // two MSH
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\rpid|1\r"));    // lower-case id
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r1ID|1\r"));    // starts with digit
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\rPIDX|1\r"));   // 4-char id
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r PID|1\r"));   // leading space
  CHECK(fails("MSH|^~\\&|a|b|c|d|e||^A01|1|P|2.5\r"));             // MSH-9.1 empty
  CHECK(fails("MSH|^~\\a|a|b|c|d|e||ADT^A01|1|P|2.5\r"));           // alphanumeric delimiter
  CHECK(fails("MSH|^~\\&&|a|b|c|d|e||ADT^A01|1|P|2.5\r"));          // 5th char not '#'
  ParseError high;
  CHECK_FALSE(Message::parse("MSH|^\xfd\xa0&|a|b|c|d|e||ADT^A01|1|P|2.5\r", &high));
  CHECK(high.message.find("byte 0xFD") != std::string::npos);
  CHECK(high.offset == 5);
  CHECK(fails("FHS|^~\\&\rMSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r")); // batch given to parse
  // Accepted: trailing terminators/whitespace, 5 encoding chars with '#', LF and CRLF.
  CHECK_FALSE(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r\r\n\n  "));
  CHECK_FALSE(fails("MSH|^~\\&#|a|b|c|d|e||ADT^A01|1|P|2.7\rPID|1\r"));
  CHECK_FALSE(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\nPID|1\n"));
  CHECK_FALSE(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r\nPID|1\r\nZZ1\r\n"));
  // ISO-8859-1 data is not an error by itself.
  CHECK_FALSE(fails("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\rPID|1||||M\xfcller\r"));
}

TEST_CASE("hl7: path access on known sample values", "[hl7]") {
  Message m = parse_sample("oru_r01_v24_ms_glucose_sn_tz.hl7");
  CHECK(m.get("PID-5.1") == "EVERYWOMAN");
  CHECK(m.get("PID-5.2") == "EVE");
  CHECK(m.get("PID-5") == "EVERYWOMAN^EVE^E^^^^L");
  CHECK(m.get("OBX-5") == "^182");
  CHECK(m.get("OBX-5.2") == "182");
  CHECK(m.get("OBX-3.2") == "GLUCOSE");
  CHECK(m.get("MSH-1") == "|");
  CHECK(m.get("MSH-2") == "^~\\&");
  CHECK(m.get("MSH-3") == "GHH LAB");
  CHECK(m.get("MSH-9.1") == "ORU");
  CHECK(m.get("MSH-9.2") == "R01");
  CHECK(m.get("MSH-10") == "CNTRL-3456");
  CHECK(m.get("MSH-12") == "2.4");
  CHECK(m.message_type() == "ORU^R01");
  CHECK(m.control_id() == "CNTRL-3456");
  CHECK(m.get("PID-99") == "");
  CHECK(m.get("ZZZ-1") == "");
  CHECK(m.get("OBX(2)-5") == "");
  CHECK(m.get("not a path") == "");
  CHECK(m.count("OBX") == 1);
  CHECK(m.segment_count() == 4);
  CHECK(m.segment_name(3) == "OBX");
  CHECK(m.segment_name(4) == "");
  CHECK(m.field_count("MSH") == 13);  // trailing '|' makes an empty MSH-13
  CHECK(m.field_count("OBX") == 11);

  Message lab = parse_sample("oru_r01_v25_ms_lab_cbc.hl7");
  CHECK(lab.count("OBX") == 10);
  CHECK(lab.get("OBX(2)-1") == "2");

  Message zpi = parse_sample("adt_a01_v25_hapi_custom_zpi_segment.hl7");
  CHECK(zpi.get("PID-3.1") == "5520255");
  CHECK(zpi.get("PID-3[2].1") == "ZZZZZZ83M64Z148R");
  CHECK(zpi.get("PID-3[3].4") == "SSN");
  CHECK(zpi.get("PID-3[4].5") == "TEAM");
  CHECK(zpi.get("PID-3[5].1") == "");
  CHECK(zpi.get("ZPI-1[2]") == "Fred");
  CHECK(zpi.get("PV1-3.11.2") == "LODI");
  CHECK(zpi.get("PV1-3.11.1") == "OSPEDALE MAGGIORE DI LODI");
  Path pid3;
  pid3.segment = "PID";
  pid3.field = 3;
  CHECK(zpi.repetition_count(pid3) == 4);
  pid3.field = 4;
  CHECK(zpi.repetition_count(pid3) == 0);

  Message a24 = parse_sample("adt_a24_v24_hapi_nondefault_encoding_chars.hl7");
  CHECK(a24.delimiters().field == '^');
  CHECK(a24.delimiters().component == '~');
  CHECK(a24.delimiters().repetition == '|');
  CHECK(a24.get("MSH-1") == "^");
  CHECK(a24.get("MSH-2") == "~|\\&");
  CHECK(a24.get("MSH-9.1") == "ADT");
  CHECK(a24.get("MSH-9.2") == "A24");
  CHECK(a24.message_type() == "ADT^A24");
  CHECK(a24.get("MSH-10") == "2003582144");
  CHECK(a24.get("PID(2)-1") == "2");
  CHECK(a24.get("PID-3.6.1") == "FACILITY ID");
  CHECK(a24.get("PID-3.6") == "FACILITY ID&200M&L");  // component with subcomponents
  CHECK(a24.get("PID-3.4.3") == "0363");
  CHECK(a24.get("PID-3.4.2") == "");
  CHECK(a24.get("PID-5.2") == "JOHN");

  Message vista = parse_sample("oru_r01_v24_hapi_va_vista_nondefault_delims.hl7");
  CHECK(vista.message_type() == "ORU^R01");
  CHECK(vista.get("MSH-4.2") == "DAYTDEV.FO-BAYPINES.MED.VA.GOV");
  CHECK(vista.get("OBX(2)-5.2") == "INCORRECT READING");
  CHECK(vista.get("ZSC-3") == "OBSERVATION SURGERY");

  Message short_type = parse_sample("oru_r01_v23_hapi_olis_ft_escapes_F_br.hl7");
  CHECK(short_type.message_type() == "ORU");

  Message siu = parse_sample("siu_s14_v23_hapi_nested_rgs_groups.hl7");
  CHECK(siu.control_id() == " 38762");
}

TEST_CASE("hl7: escapes are decoded by get and formatting sequences kept", "[hl7]") {
  Message tr = parse_sample("adt_a01_v23_lfh_escapes_T_R.hl7");
  std::string pv2 = tr.get("PV2-12");
  CHECK(pv2.find("\"Encounter.text\" & formatted") != std::string::npos);
  CHECK(pv2.find("characters.~HL7 newline") != std::string::npos);
  CHECK(tr.get_raw(*parse_path("PV2-12")).find("\\T\\") != std::string::npos);

  Message hex = parse_sample("orm_o01_v23_hl7dotnetcore_escapes_X0D_br_H.hl7");
  CHECK(hex.get("NTE(2)-3") == "some text\r\nsome text after new line\r\nissue Efferent-Health#81");
  CHECK(hex.get("NTE(1)-3") == "some text\\.br\\some text after \\H\\new line\\N\\\\.br\\issue Efferent-Health#82");

  Message bloodgas = parse_sample("oru_r01_v24_hapi_bloodgas_ft_H_N_S.hl7");
  bool saw_caret = false;
  for (int i = 1; i <= bloodgas.count("OBX"); ++i) {
    std::string raw = bloodgas.get_raw(*parse_path("OBX(" + std::to_string(i) + ")-5"));
    if (raw.find("\\S\\") != std::string::npos) {
      saw_caret = bloodgas.get("OBX(" + std::to_string(i) + ")-5").find('^') != std::string::npos;
    }
  }
  CHECK(saw_caret);

  Message olis = parse_sample("oru_r01_v23_hapi_olis_ft_escapes_F_br.hl7");
  bool saw_pipe = false;
  for (int i = 1; i <= olis.count("NTE"); ++i) {
    std::string v = olis.get("NTE(" + std::to_string(i) + ")-3");
    if (v.find('|') != std::string::npos && v.find("\\.br\\") != std::string::npos) saw_pipe = true;
  }
  CHECK(saw_pipe);
}

TEST_CASE("hl7: set creates what is missing and survives encode/parse", "[hl7]") {
  Message m = parse_sample("oru_r01_v24_ms_glucose_sn_tz.hl7");
  const std::string original = m.encode();
  std::string error;
  REQUIRE(m.set("PID-5.1", "O'BRIEN|SMITH^JR", &error));
  REQUIRE(m.set("PID-3[3].4.2", "1.2.3", &error));
  REQUIRE(m.set("PID-40", "far", &error));
  REQUIRE(m.set("OBX(3)-5", "third", &error));
  REQUIRE(m.set("ZZ1-2.2", "line1\r\nline2", &error));
  REQUIRE(m.set("MSH-10", "NEW-ID", &error));
  CHECK(m.get("PID-5.1") == "O'BRIEN|SMITH^JR");
  CHECK(m.get("PID-5.2") == "EVE");
  CHECK(m.get("PID-3[3].4.2") == "1.2.3");
  CHECK(m.get("PID-3[1]") == "555-44-4444");
  CHECK(m.count("OBX") == 3);

  const std::string encoded = m.encode();
  CHECK(encoded != original);
  CHECK(encoded.find("\n") == std::string::npos);  // CR terminators kept, LF escaped
  CHECK(encoded.find("EVERYWOMAN") == std::string::npos);
  CHECK(encoded.find("O'BRIEN\\F\\SMITH\\S\\JR^EVE") != std::string::npos);
  ParseError perr;
  auto back = Message::parse(encoded, &perr);
  INFO(perr.message);
  REQUIRE(back);
  CHECK(back->get("PID-5.1") == "O'BRIEN|SMITH^JR");
  CHECK(back->get("PID-3[3].4.2") == "1.2.3");
  CHECK(back->get("PID-3[3].4") == "&1.2.3");
  CHECK(back->get("PID-40") == "far");
  CHECK(back->field_count("PID") == 40);
  CHECK(back->get("OBX(3)-5") == "third");
  CHECK(back->get("OBX(2)-1") == "");
  CHECK(back->get("ZZ1-2.2") == "line1\r\nline2");
  CHECK(back->control_id() == "NEW-ID");
  CHECK(back->get("OBX-5") == "^182");
  CHECK(back->encode() == encoded);

  // Refused: delimiters, bad paths, whole segments, second MSH.
  CHECK_FALSE(m.set("MSH-1", "#", &error));
  CHECK(error.find("delimiters") != std::string::npos);
  CHECK_FALSE(m.set("MSH-2", "^~\\&", &error));
  CHECK_FALSE(m.set("PID", "x", &error));
  CHECK_FALSE(m.set("PID-0", "x", &error));
  CHECK_FALSE(m.set("pid-1", "x", &error));
  CHECK_FALSE(m.set("MSH(2)-3", "x", &error));
  CHECK(m.encode() == encoded);
}

TEST_CASE("hl7: modified message keeps its delimiters and terminator", "[hl7]") {
  Message a24 = parse_sample("adt_a24_v24_hapi_nondefault_encoding_chars.hl7");
  REQUIRE(a24.set("PID(2)-5.1", "DOE^X"));
  std::string out = a24.encode();
  CHECK(out.find("^^DOE\\F\\X~JOHN~TEST\r") != std::string::npos);
  auto back = Message::parse(out);
  REQUIRE(back);
  CHECK(back->get("PID(2)-5.1") == "DOE^X");
  CHECK(back->get("PID(1)-5.1") == "SMITH");

  auto crlf = Message::parse("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r\nPID|1\r\n");
  REQUIRE(crlf);
  crlf->set("PID-2", "x");
  CHECK(crlf->encode() == "MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\r\nPID|1|x\r\n");
  auto lf = Message::parse("MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\nPID|1");
  REQUIRE(lf);
  CHECK(lf->encode() == "MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\nPID|1");
  lf->add_segment("NTE|1||hello");
  CHECK(lf->encode() == "MSH|^~\\&|a|b|c|d|e||ADT^A01|1|P|2.5\nPID|1\nNTE|1||hello\n");
}

TEST_CASE("hl7: segments can be added and removed", "[hl7]") {
  Message m = parse_sample("oru_r01_v24_ms_glucose_sn_tz.hl7");
  m.add_segment("NTE|1||first\rNTE|2||second");
  CHECK(m.count("NTE") == 2);
  CHECK(m.get("NTE(2)-3") == "second");
  CHECK(m.remove_segment("NTE", 1));
  CHECK(m.get("NTE-3") == "second");
  CHECK_FALSE(m.remove_segment("NTE", 2));
  CHECK_FALSE(m.remove_segment("MSH"));  // the header stays
  CHECK(m.remove_segment("OBX"));
  auto back = Message::parse(m.encode());
  REQUIRE(back);
  CHECK(back->count("OBX") == 0);
  CHECK(back->segment_count() == 4);
}

TEST_CASE("hl7: a message built from scratch", "[hl7]") {
  Message m;
  CHECK(m.encode().empty());
  CHECK(m.get("MSH-9") == "");
  REQUIRE(m.set("MSH-9.1", "ADT"));
  REQUIRE(m.set("MSH-9.2", "A01"));
  REQUIRE(m.set("MSH-10", "1"));
  REQUIRE(m.set("MSH-12", "2.5"));
  REQUIRE(m.set("PID-5.1", "DOE"));
  CHECK(m.encode() == "MSH|^~\\&|||||||ADT^A01|1||2.5\rPID|||||DOE\r");
  auto back = Message::parse(m.encode());
  REQUIRE(back);
  CHECK(back->message_type() == "ADT^A01");

  // A moved-from message is empty, not a crash.
  Message moved = std::move(*back);
  CHECK(back->encode().empty());
  CHECK(back->get("MSH-9") == "");
  CHECK(back->segment_count() == 0);
  CHECK(moved.control_id() == "1");
}
