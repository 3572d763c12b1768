#include <artery/options.hpp>

#include <catch2/catch.hpp>

using namespace artery;

TEST_CASE("durations parse with units") {
  CHECK(parse_duration("250ms")->count() == 250);
  CHECK(parse_duration("1s")->count() == 1000);
  CHECK(parse_duration("5m")->count() == 300000);
  CHECK(parse_duration("2")->count() == 2000);
  CHECK_FALSE(parse_duration("5 parsecs"));
  CHECK_FALSE(parse_duration(""));
}

TEST_CASE("sizes parse with binary and decimal units") {
  CHECK(*parse_size("1MiB") == 1048576);
  CHECK(*parse_size("512KiB") == 524288);
  CHECK(*parse_size("1MB") == 1000000);
  CHECK_FALSE(parse_size("lots"));
}

TEST_CASE("addresses parse host and port") {
  auto a = parse_address("0.0.0.0:2575");
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 2575);
  CHECK(parse_address("[::1]:40700")->host == "::1");
  CHECK(parse_address(":80")->host == "0.0.0.0");
  CHECK_FALSE(parse_address("localhost:407000"));
  CHECK_FALSE(parse_address("localhost"));
}

TEST_CASE("templates expand and are checked") {
  CHECK(expand_template("patient_${patient_id}.json", {{"patient_id", "42"}}) == "patient_42.json");
  CHECK(expand_template("${source.filename}", {{"source.filename", "a.hl7"}}) == "a.hl7");
  CHECK(check_template("a${b}c").empty());
  CHECK(check_template("a${b").find("unclosed") != std::string::npos);
  // A '${' inside another is the first one left open, not a bad name.
  CHECK(check_template("${a_${b}").find("unclosed") != std::string::npos);
  CHECK(check_template("${x:-unknown}.txt").empty());
  CHECK(check_template("a${}").find("empty") != std::string::npos);
  CHECK(check_template("a${b c}").find("bad variable") != std::string::npos);
}

TEST_CASE("a variable that is not set fails the expansion unless it has a default") {
  std::string problem;
  CHECK_FALSE(expand_template("${x}.txt", {}, &problem));
  CHECK(problem.find("'x' is not set") != std::string::npos);
  CHECK(expand_template("${x:-unknown}.txt", {}) == "unknown.txt");
  CHECK(expand_template("${x:-unknown}.txt", {{"x", "7"}}) == "7.txt");
  CHECK(expand_template("${x:-}.txt", {}) == ".txt");
}
