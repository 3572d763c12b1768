// HL7 v2 escape sequences and path syntax.
#include <catch2/catch.hpp>

#include "artery/hl7.hpp"

using namespace artery::hl7;

TEST_CASE("hl7: escape encodes every delimiter and line breaks", "[hl7]") {
  Delimiters d;
  CHECK(escape("plain", d) == "plain");
  CHECK(escape("a|b^c&d~e\\f", d) == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f");
  CHECK(escape("l1\r\nl2", d) == "l1\\X0D\\\\X0A\\l2");
  Delimiters odd{'^', '~', '|', '\\', '&'};
  CHECK(escape("a^b~c|d", odd) == "a\\F\\b\\S\\c\\R\\d");
}

TEST_CASE("hl7: unescape decodes data escapes and keeps formatting", "[hl7]") {
  Delimiters d;
  CHECK(unescape("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f", d) == "a|b^c&d~e\\f");
  CHECK(unescape("x\\X0D\\\\X0A\\y", d) == "x\r\ny");
  CHECK(unescape("\\X0D0A\\", d) == "\r\n");
  CHECK(unescape("\\X41424344\\", d) == "ABCD");
  CHECK(unescape("\\xe9\\", d) == "\\xe9\\");   // lower-case x is not hex data
  CHECK(unescape("\\X0\\", d) == "\\X0\\");      // odd digit count: literal
  CHECK(unescape("\\XZZ\\", d) == "\\XZZ\\");    // not hex: literal
  CHECK(unescape("a\\.br\\b", d) == "a\\.br\\b");
  CHECK(unescape("\\H\\bold\\N\\", d) == "\\H\\bold\\N\\");
  CHECK(unescape("\\.sp2\\\\Cxxyy\\", d) == "\\.sp2\\\\Cxxyy\\");
  CHECK(unescape("trailing\\", d) == "trailing\\");  // unterminated
  CHECK(unescape("\\\\", d) == "\\\\");              // empty sequence
  CHECK(unescape("a\\F^b\\c", d) == "a\\F^b\\c");    // a delimiter ends a would-be sequence
  Delimiters odd{'^', '~', '|', '\\', '&'};
  CHECK(unescape("\\F\\\\S\\\\R\\", odd) == "^~|");
  Delimiters hash{'|', '^', '~', '#', '&'};
  CHECK(unescape("#F#x#E#", hash) == "|x#");
}

TEST_CASE("hl7: escape/unescape round trips", "[hl7]") {
  Delimiters d;
  for (std::string s : {std::string("a|b^c&d~e\\f"), std::string("\\T\\ literal"), std::string("l1\r\nl2\rl3\n"),
                        std::string("\\X0D\\"), std::string("M\xfcller"), std::string("\\.br\\"), std::string()}) {
    CHECK(unescape(escape(s, d), d) == s);
  }
  // Every byte value survives.
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  CHECK(unescape(escape(all, d), d) == all);
}

TEST_CASE("hl7: path syntax", "[hl7]") {
  auto p = parse_path("PID-5.1");
  REQUIRE(p);
  CHECK(p->segment == "PID");
  CHECK(p->segment_index == 1);
  CHECK(p->field == 5);
  CHECK(p->repetition == 1);
  CHECK(p->component == 1);
  CHECK(p->subcomponent == 0);

  p = parse_path("OBX(2)-5");
  REQUIRE(p);
  CHECK(p->segment_index == 2);
  CHECK(p->field == 5);
  CHECK(p->component == 0);

  p = parse_path("PID-3[2].4.2");
  REQUIRE(p);
  CHECK(p->repetition == 2);
  CHECK(p->component == 4);
  CHECK(p->subcomponent == 2);

  p = parse_path("ZP1");
  REQUIRE(p);
  CHECK(p->field == 0);
  CHECK(parse_path("PV1-3.1.2"));
  CHECK(parse_path("MSH-9.2"));

  std::string error;
  for (const char* bad : {"", "PI", "pid-5", "1ID-1", "PID-", "PID-0", "PID-x", "PID-5.", "PID-5.0", "PID(0)-1",
                          "PID(2-1", "PID-3[0]", "PID-3[2", "PID-5.1.2.3", "PID-5 x", "PID-99999999999999",
                          "PID-10001"}) {
    INFO(bad);
    CHECK_FALSE(parse_path(bad, &error));
    CHECK_FALSE(error.empty());
  }
}
