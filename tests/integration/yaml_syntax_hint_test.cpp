// YAML syntax errors whose parser wording misleads get a hint at what to do.
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery::testing;

TEST_CASE("an unquoted glob: *.hl7 is reported with a hint to quote it", "[integration][cli][validate]") {
  TempDir dir("artery-yaml");
  write_text(dir / "lab.yaml", R"(name: lab
source:
  type: file
  directory: in
  glob: *.hl7
)");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "lab.yaml").string()}, output) == 1);
  INFO(output);
  CHECK(output.find((dir / "lab.yaml").string() + ":5:9: YAML syntax error: ") != std::string::npos);
  CHECK(output.find("quote values starting with * (e.g. glob: \"*.hl7\")") != std::string::npos);
}

TEST_CASE("other YAML syntax errors get no quoting hint", "[integration][cli][validate]") {
  TempDir dir("artery-yaml");
  write_text(dir / "lab.yaml", "name: lab\nsource: {type: file, directory: in\n");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "lab.yaml").string()}, output) == 1);
  INFO(output);
  CHECK(output.find("YAML syntax error") != std::string::npos);
  CHECK(output.find("quote values") == std::string::npos);
}
