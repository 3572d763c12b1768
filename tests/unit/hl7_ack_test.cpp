// ACK construction for parsed messages and for bytes that did not parse.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "artery/hl7.hpp"
#include "support/engine_process.hpp"

using namespace artery::hl7;

namespace {

std::string read_sample(const std::string& name) {
  return artery::testing::read_text(std::filesystem::path(ARTERY_FIXTURES) / "samples" / "hl7v2" / name);
}

Message parse_ack(const std::string& ack) {
  ParseError error;
  auto m = Message::parse(ack, &error);
  INFO(ack << "\n" << error.message);
  REQUIRE(m);
  return std::move(*m);
}

}  // namespace

TEST_CASE("hl7 ack: AA for a sample swaps sender and receiver", "[hl7]") {
  auto original = Message::parse(read_sample("oru_r01_v251_nist_lri_cbc.hl7"));
  REQUIRE(original);
  AckOptions options;
  options.code = "AA";
  const std::string ack_text = build_ack(*original, options);
  CHECK(ack_text.find('\n') == std::string::npos);
  CHECK(ack_text.back() == '\r');
  Message ack = parse_ack(ack_text);
  CHECK(ack.get("MSA-1") == "AA");
  CHECK(ack.get("MSA-2") == original->control_id());
  CHECK(ack.get("MSA-2") == "NIST-LRI-NG-002.00");
  CHECK(ack.get("MSH-3") == original->get("MSH-5"));
  CHECK(ack.get("MSH-4") == original->get("MSH-6"));
  CHECK(ack.get("MSH-5") == "NIST Test Lab APP");
  CHECK(ack.get("MSH-6") == "NIST Lab Facility");
  CHECK(ack.get("MSH-9") == "ACK^R01^ACK");
  CHECK(ack.get("MSH-11") == original->get("MSH-11"));
  CHECK(ack.get("MSH-12") == "2.5.1");
  CHECK(ack.get("MSH-7").size() == 14);
  CHECK_FALSE(ack.control_id().empty());
  CHECK(ack.count("ERR") == 0);
}

TEST_CASE("hl7 ack: keeps delimiters, components and options", "[hl7]") {
  auto original = Message::parse(read_sample("oru_r01_v24_hapi_va_vista_nondefault_delims.hl7"));
  REQUIRE(original);
  AckOptions options;
  options.code = "AE";
  options.text = "bad | value^here";
  options.control_id = "ACK-1";
  options.timestamp = "20240101120000";
  const std::string ack_text = build_ack(*original, options);
  CHECK(ack_text.rfind("MSH^~|\\&^", 0) == 0);
  Message ack = parse_ack(ack_text);
  CHECK(ack.delimiters().field == '^');
  CHECK(ack.get("MSH-3") == "GMRV VDEF IESIDE");        // receiving application of the original
  CHECK(ack.get("MSH-4.1") == "200HD");                 // receiving facility, components intact
  CHECK(ack.get("MSH-4.2") == "HDR.MED.VA.GOV");
  CHECK(ack.get("MSH-5") == "HDRVTLS");
  CHECK(ack.get("MSH-6.2") == "DAYTDEV.FO-BAYPINES.MED.VA.GOV");
  CHECK(ack.get("MSH-7") == "20240101120000");
  CHECK(ack.message_type() == "ACK^R01");
  CHECK(ack.control_id() == "ACK-1");
  CHECK(ack.get("MSH-12") == "2.4");
  CHECK(ack.get("MSA-1") == "AE");
  CHECK(ack.get("MSA-2") == "55253408603");
  CHECK(ack.get("MSA-3") == "bad | value^here");
  REQUIRE(ack.count("ERR") == 1);
  // v2.4: the text is in ERR-1 (ELD), CE code 207 in its 4th component.
  CHECK(ack.get("ERR-1.4.1") == "207");
  CHECK(ack.get("ERR-1.4.2") == "bad | value^here");
}

TEST_CASE("hl7 ack: v2.5+ errors use ERR-3/4/8, no trigger gives plain ACK", "[hl7]") {
  auto v25 = Message::parse(read_sample("oru_r01_v25_ms_lab_cbc.hl7"));
  REQUIRE(v25);
  Message ack = parse_ack(build_ack(*v25, AckOptions{"AR", "rejected", "", ""}));
  CHECK(ack.get("ERR-3.1") == "207");
  CHECK(ack.get("ERR-4") == "E");
  CHECK(ack.get("ERR-8") == "rejected");
  CHECK(ack.get("MSA-1") == "AR");

  auto no_trigger = Message::parse(read_sample("oru_r01_v23_hapi_olis_ft_escapes_F_br.hl7"));
  REQUIRE(no_trigger);
  Message ack2 = parse_ack(build_ack(*no_trigger, AckOptions{"CA", "", "", ""}));
  CHECK(ack2.get("MSH-9") == "ACK");
  CHECK(ack2.get("MSA-1") == "CA");
  CHECK(ack2.get("MSA-2") == "5951");

  // Generated control ids differ.
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(parse_ack(build_ack(*v25, AckOptions{})).control_id());
  CHECK(ids.size() == 1000);
}

TEST_CASE("hl7 ack: every sample gets a parseable ACK", "[hl7]") {
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(ARTERY_FIXTURES) / "samples" / "hl7v2")) {
    if (entry.path().extension() != ".hl7" || entry.path().filename().string().rfind("batch_", 0) == 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    INFO(entry.path().filename().string());
    auto texts = split_batch(bytes.str());
    REQUIRE(texts);
    auto m = Message::parse(texts->front());
    REQUIRE(m);
    Message ack = parse_ack(build_ack(*m, AckOptions{"AE", "oops", "", ""}));
    CHECK(ack.get("MSA-2") == m->control_id());
    CHECK(ack.get("MSH-12") == m->get("MSH-12"));
    CHECK(ack.get("MSH-2") == m->get("MSH-2"));
  }
}

TEST_CASE("hl7 ack: raw bytes that did not parse", "[hl7]") {
  // Sane MSH line, truncated message: delimiters and control id are reused.
  Message a = parse_ack(build_ack_for_raw("MSH^~|\\&^APP^FAC^ME^HERE^2020^^ADT~A01^CTRL9^P^2.3\rPID^^bad\r\rX", AckOptions{}));
  CHECK(a.delimiters().field == '^');
  CHECK(a.get("MSA-1") == "AR");
  CHECK(a.get("MSA-2") == "CTRL9");
  CHECK(a.get("MSH-3") == "ME");
  CHECK(a.get("MSH-5") == "APP");
  CHECK(a.get("MSH-9") == "ACK~A01~ACK");
  CHECK(a.get("MSH-9.2") == "A01");
  CHECK(a.get("MSH-12") == "2.3");

  // Junk: defaults.
  Message b = parse_ack(build_ack_for_raw("\x00\x01garbage", AckOptions{"AE", "could not parse", "", ""}));
  CHECK(b.delimiters().field == '|');
  CHECK(b.get("MSA-1") == "AE");
  CHECK(b.get("MSA-2") == "");
  CHECK(b.get("MSA-3") == "could not parse");

  // Broken delimiters: defaults, nothing copied.
  Message c = parse_ack(build_ack_for_raw("MSH|^^^^|A|B|C|D|||X^Y|ID|P|2.5", AckOptions{}));
  CHECK(c.get("MSA-2") == "");
  CHECK(parse_ack(build_ack_for_raw("", AckOptions{})).get("MSA-1") == "AR");

  // Random junk and mutated MSH lines never crash and always give a parseable ACK.
  std::mt19937 rng(1234);
  const std::string seed = "MSH|^~\\&|SEND|FAC|RECV|FAC|20240101||ORU^R01|ID1|P|2.4\rPID|1\r";
  for (int i = 0; i < 3000; ++i) {
    std::string junk;
    if (i % 2 == 0) {
      junk.resize(rng() % 200);
      for (char& ch : junk) ch = static_cast<char>(rng() & 0xFF);
    } else {
      junk = seed;
      for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
        junk[rng() % junk.size()] = static_cast<char>(rng() & 0xFF);
      }
    }
    if (i % 3 == 0) junk = "MSH" + junk;
    const std::string ack = build_ack_for_raw(junk, AckOptions{});
    ParseError error;
    auto m = Message::parse(ack, &error);
    INFO(error.message);
    CHECK(m);
  }
}
