// Splitting HL7 batch files (FHS/BHS...BTS/FTS) and back-to-back messages.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "artery/hl7.hpp"
#include "support/engine_process.hpp"

using namespace artery::hl7;

namespace {

std::string read_sample(const std::string& name) {
  return artery::testing::read_text(std::filesystem::path(ARTERY_FIXTURES) / "samples" / "hl7v2" / name);
}

}  // namespace

TEST_CASE("hl7 batch: the FHS/BHS sample holds three messages", "[hl7]") {
  const std::string file = read_sample("batch_fhs_bhs_v25_pythonhl7_vinah.hl7");
  ParseError error;
  auto messages = split_batch(file, &error);
  INFO(error.message);
  REQUIRE(messages);
  REQUIRE(messages->size() == 3);
  const char* ids[] = {"12334456778890", "12334456778891", "12334456778890"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string& text = (*messages)[i];
    CHECK(text.rfind("MSH|", 0) == 0);
    CHECK(text.back() == '\r');
    CHECK(file.find(text) != std::string::npos);  // exact bytes of the file
    auto m = Message::parse(text);
    REQUIRE(m);
    CHECK(m->control_id() == ids[i]);
    CHECK(m->segment_count() == 6);
    CHECK(m->count("BTS") == 0);
    CHECK(m->encode() == text);
  }
}

TEST_CASE("hl7 batch: the OML sample file holds 13 messages separated by blank lines", "[hl7]") {
  auto messages = split_batch(read_sample("oml_o21_v251_hapi_lab_order.hl7"));
  REQUIRE(messages);
  REQUIRE(messages->size() == 13);
  CHECK(Message::parse((*messages)[0])->control_id() == "msgOP123");
  CHECK(Message::parse((*messages)[12])->message_type() == "OML^O21");
  for (const auto& text : *messages) {
    CHECK(text.find("\r\r") == std::string::npos);
    CHECK(Message::parse(text));
  }
  // As one message it is not valid: a blank line inside.
  CHECK_FALSE(Message::parse(read_sample("oml_o21_v251_hapi_lab_order.hl7")));
}

TEST_CASE("hl7 batch: plain back-to-back messages and single messages", "[hl7]") {
  const std::string a = read_sample("oru_r01_v24_ms_glucose_sn_tz.hl7");
  const std::string b = read_sample("adt_a24_v24_hapi_nondefault_encoding_chars.hl7");
  auto two = split_batch(a + "\r\n" + b + "\r\n\r\n");
  REQUIRE(two);
  REQUIRE(two->size() == 2);
  CHECK((*two)[0] == a);
  CHECK((*two)[1] == b);  // trailing blank lines are not part of it

  auto one = split_batch(a);
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0] == a);

  auto lf = split_batch("\xEF\xBB\xBFMSH|^~\\&|a||||||ADT^A01|1|P|2.5\nPID|1\nMSH|^~\\&|a||||||ADT^A01|2|P|2.5\nPID|2");
  REQUIRE(lf);
  REQUIRE(lf->size() == 2);
  CHECK((*lf)[0] == "MSH|^~\\&|a||||||ADT^A01|1|P|2.5\nPID|1\n");
  CHECK((*lf)[1] == "MSH|^~\\&|a||||||ADT^A01|2|P|2.5\nPID|2");
}

TEST_CASE("hl7 batch: invalid structures are errors", "[hl7]") {
  auto error_of = [](std::string_view text) {
    ParseError error;
    auto r = split_batch(text, &error);
    CHECK_FALSE(r);
    return error;
  };
  auto nested = error_of(read_sample("malformed/file_nested_fhs_pythonhl7.hl7"));
  CHECK(nested.message.find("nested FHS") != std::string::npos);
  auto no_msh = error_of(read_sample("malformed/batch_without_msh_pythonhl7.hl7"));
  CHECK(no_msh.message.find("before any MSH") != std::string::npos);
  CHECK(no_msh.message.find("EVN") != std::string::npos);
  auto blank = error_of(read_sample("malformed/blank_segment_line_hl7dotnetcore.hl7"));
  CHECK(blank.message.find("empty segment line") != std::string::npos);

  CHECK(error_of("").message == "no MSH message found");
  CHECK(error_of("\r\n\r\n").message == "no MSH message found");
  CHECK(error_of("FHS|^~\\&\rFTS|0\r").message == "no MSH message found");
  CHECK(error_of("FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|||||||A^B|1|P|2.5\rBTS|1\r").message.find("FHS without FTS") !=
        std::string::npos);
  CHECK(error_of("BHS|^~\\&\rMSH|^~\\&|||||||A^B|1|P|2.5\rBHS|^~\\&\r").message.find("missing BTS") != std::string::npos);
  CHECK(error_of("MSH|^~\\&|||||||A^B|1|P|2.5\rBTS|1\r").message.find("BTS without") != std::string::npos);
  CHECK(error_of("FHS|^~\\&\rMSH|^~\\&|||||||A^B|1|P|2.5\rFTS|1\rMSH|^~\\&|||||||A^B|1|P|2.5\r").message.find(
            "after the FTS") != std::string::npos);
  CHECK(error_of("MSH|^~\\&|||||||A^B|1|P|2.5\rFHS|^~\\&\r").message.find("FHS") != std::string::npos);
  CHECK(error_of("junk\rMSH|^~\\&|||||||A^B|1|P|2.5\r").message.find("before any MSH") != std::string::npos);
}
