// `artery test` as a channel author uses it: the whole channel (its
// destinations' scripts and filename templates too), every failed
// expectation reported, HL7 readable in a terminal, --verbose for logs.
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const char* kChannel = R"(name: results
source: {type: file, directory: in, data_type: hl7v2}
script: ../scripts/channel.lua
destinations:
  - name: records
    type: file
    directory: out
    filename: "patient_${patient_id}-${source.filename}.json"
    script: ../scripts/record.lua
  - name: copy
    type: file
    directory: out
    filename: "${unset}.hl7"
tests:
)";

void write_scripts(const TempDir& dir) {
  write_text(dir / "scripts/channel.lua", R"(local M = {}
function M.filter(msg) return msg:get("MSH-9.1") ~= "ADT" end
function M.transform(msg, ctx)
  ctx.vars.patient_id = msg:get("PID-3.1")
  log.info("patient " .. ctx.vars.patient_id .. " from " .. ctx.source.filename)
  msg:set("PID-5.1", "CHANGED")
end
return M
)");
  write_text(dir / "scripts/record.lua", R"(local M = {}
function M.transform(msg, ctx) return { patient = ctx.vars.patient_id, family = msg:get("PID-5.1") } end
return M
)");
}

}  // namespace

TEST_CASE("artery test runs destinations' scripts and resolves their filenames", "[integration][cli]") {
  TempDir dir("artery-test-command");
  write_scripts(dir);
  write_text(dir / "data/oru.hl7", "MSH|^~\\&|L|H|E|H|20261201||ORU^R01|C1|P|2.5\rPID|1||555^^^H||DOE^JANE\r");
  write_text(dir / "channels/results.yaml", std::string(kChannel) + R"(  - name: passes
    input: ../data/oru.hl7
    expect:
      vars: {patient_id: "555"}
      destinations:
        records:
          output_contains: '"family":"CHANGED"'
          filename: patient_555-oru.hl7.json
  - name: source attributes can be given
    input_text: "MSH|^~\\&|L|H|E|H|20261201||ORU^R01|C2|P|2.5\rPID|1||556\r"
    source: {filename: given.hl7}
    expect:
      destinations:
        records: {filename: patient_556-given.hl7.json}
  - name: unset variable fails
    input: ../data/oru.hl7
    expect:
      destinations:
        copy: {filename: x.hl7}
  - name: wrong on two counts
    input: ../data/oru.hl7
    expect:
      filtered: true
      error_contains: boom
)");
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  REQUIRE(run_artery({"test", (dir / "channels").string()}, output) == 1);
  INFO(output);
  CHECK(output.find("PASS results: passes") != std::string::npos);
  CHECK(output.find("PASS results: source attributes can be given") != std::string::npos);
  CHECK(output.find("FAIL results: unset variable fails") != std::string::npos);
  CHECK(output.find("destination copy: filename: variable 'unset' is not set") != std::string::npos);
  // Both expectations of the last test are reported, not only the first.
  CHECK(output.find("channel: expected an error containing \"boom\", got none") != std::string::npos);
  CHECK(output.find("channel: message passed, expected it filtered") != std::string::npos);
  CHECK(output.find("2 passed, 2 failed") != std::string::npos);
  // Scripts' log lines are shown only with --verbose.
  CHECK(output.find("patient 555 from oru.hl7") == std::string::npos);
  run_artery({"test", "--verbose", (dir / "channels").string()}, output);
  CHECK(output.find("patient 555 from oru.hl7") != std::string::npos);
}

TEST_CASE("artery test prints HL7 output one segment per line", "[integration][cli]") {
  TempDir dir("artery-test-hl7");
  write_scripts(dir);
  write_text(dir / "data/oru.hl7", "MSH|^~\\&|L|H|E|H|20261201||ORU^R01|C1|P|2.5\rPID|1||555^^^H||DOE^JANE\r");
  write_text(dir / "channels/results.yaml", std::string(kChannel) + R"(  - name: shows segments
    input: ../data/oru.hl7
    expect:
      output_contains: NOT THERE
)");
  std::string output;
  REQUIRE(run_artery({"test", (dir / "channels").string()}, output) == 1);
  INFO(output);
  CHECK(output.find('\r') == std::string::npos);
  CHECK(output.find("\n    MSH|^~\\&|L|H|E|H|20261201||ORU^R01|C1|P|2.5\n    PID|1||555^^^H||CHANGED^JANE") !=
        std::string::npos);
}

TEST_CASE("a test naming a destination the channel does not have is a validation error", "[integration][cli]") {
  TempDir dir("artery-test-unknown-destination");
  write_scripts(dir);
  write_text(dir / "channels/results.yaml", std::string(kChannel) + R"(  - name: typo
    input_text: "x"
    expect:
      destinations:
        record: {filename: x}
)");
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  CHECK(output.find("no destination 'record' in this channel (did you mean 'records'?)") != std::string::npos);
}
