// The artery command line as a user runs it: validate and test.
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery::testing;
namespace fs = std::filesystem;

TEST_CASE("validate prints each of five mistakes with its line and exits 1", "[integration][cli]") {
  std::string output;
  const auto file = fs::path(ARTERY_FIXTURES) / "config" / "five_mistakes.yaml";
  REQUIRE(run_artery({"validate", file.string()}, output) == 1);
  INFO(output);
  for (const char* where : {":5:3: unknown key 'max_mesage'", ":6:10: wrong type for 'workers'",
                            ":9:11: unknown destination type 'flie'", ":10:5: missing required key 'directory'",
                            ":12:15: bad template"})
    CHECK(output.find(file.string() + where) != std::string::npos);
  CHECK(output.find("5 errors") != std::string::npos);
}

TEST_CASE("the shipped channels validate and pass their tests", "[integration][cli]") {
  std::string output;
  const auto channels = fs::path(ARTERY_SOURCE_DIR) / "channels";
  CHECK(run_artery({"validate", channels.string()}, output) == 0);
  INFO(output);
  REQUIRE(run_artery({"test", channels.string()}, output) == 0);
  CHECK(output.find("PASS lab-results-to-json: abnormal potassium") != std::string::npos);
  CHECK(output.find("PASS ehr-fhir: a patient without an identifier is refused with an OperationOutcome") !=
        std::string::npos);
  CHECK(output.find("PASS hl7-to-fhir: a result becomes Observations and a DiagnosticReport") != std::string::npos);
  CHECK(output.find("PASS fhir-results-writeback: a result becomes a DiagnosticReport with its Observations") !=
        std::string::npos);
  CHECK(output.find(", 0 failed") != std::string::npos);
}

TEST_CASE("artery test shows a readable diff and exits non-zero on a failing test", "[integration][cli]") {
  TempDir dir("artery-cli");
  write_text(dir / "upper.lua", "return { transform = function(msg) return msg:upper() end }\n");
  write_text(dir / "shout.yaml", R"(name: shout
source: {type: file, directory: in}
script: upper.lua
destinations: []
tests:
  - name: first line changes
    input_text: "hello\nsame\nworld\n"
    expect:
      output_equals: "HELLO\nSAME\nEARTH\n"
  - name: this one passes
    input_text: "ok"
    expect:
      output_contains: OK
)");
  std::string output;
  REQUIRE(run_artery({"test", (dir / "shout.yaml").string()}, output) == 1);
  INFO(output);
  CHECK(output.find("FAIL shout: first line changes") != std::string::npos);
  CHECK(output.find("-EARTH") != std::string::npos);
  CHECK(output.find("+WORLD") != std::string::npos);
  CHECK(output.find(" SAME") != std::string::npos);
  CHECK(output.find("PASS shout: this one passes") != std::string::npos);
  CHECK(output.find("1 passed, 1 failed") != std::string::npos);
}
