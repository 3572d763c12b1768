// The command line's own surface, as a user meets it: --help everywhere,
// usage errors that say what is wrong (exit 2) instead of doing something else.
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery::testing;
namespace fs = std::filesystem;

TEST_CASE("every command and subcommand answers --help with its usage and exit 0", "[integration][cli]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--help"}, "usage: artery <command>"},
      {{"help"}, "usage: artery <command>"},
      {{"run", "--help"}, "usage: artery run"},
      {{"run", "-h"}, "usage: artery run"},
      {{"validate", "--help"}, "usage: artery validate"},
      {{"test", "--help"}, "usage: artery test"},
      {{"send", "--help"}, "usage: artery send"},
      {{"send", "mllp", "--help"}, "usage: artery send mllp HOST:PORT FILE..."},
      {{"send", "systemone", "--help"}, "usage: artery send systemone HOST:PORT"},
      {{"version", "--help"}, "usage: artery version"},
      // Help wins over whatever else is on the line, even an unknown flag.
      {{"send", "mllp", "127.0.0.1:1", "--bogus", "--help"}, "usage: artery send mllp"},
  };
  for (const auto& [args, expected] : cases) {
    std::string output;
    const int code = run_artery(args, output);
    INFO(args.front() << (args.size() > 1 ? " " + args[1] : "") << ": " << output);
    CHECK(code == 0);
    CHECK(output.rfind(expected, 0) == 0);  // usage first: no loader lines before it
  }
}

TEST_CASE("artery test --help lists --verbose, and test accepts it", "[integration][cli]") {
  std::string output;
  REQUIRE(run_artery({"test", "--help"}, output) == 0);
  CHECK(output.find("--verbose") != std::string::npos);
  TempDir dir("artery-cli");
  write_text(dir / "quiet.yaml", "name: quiet\nsource: {type: file, directory: in}\n");
  REQUIRE(run_artery({"test", "--verbose", (dir / "quiet.yaml").string()}, output) == 0);
  INFO(output);
  CHECK(output.find("0 passed, 0 failed") != std::string::npos);
}

TEST_CASE("artery run with a stray argument is a usage error and creates nothing", "[integration][cli]") {
  TempDir dir("artery-cli");
  std::string output;
  CHECK(run_artery({"run", "extra-arg"}, output, dir.path()) == 2);
  INFO(output);
  CHECK(output.find("unexpected argument 'extra-arg'") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "data"));
}

TEST_CASE("artery version with a stray argument is a usage error", "[integration][cli]") {
  std::string output;
  CHECK(run_artery({"version", "extra-arg"}, output) == 2);
  CHECK(output.find("unexpected argument 'extra-arg'") != std::string::npos);
}

TEST_CASE("the --log-level flag accepts only debug, info, warn and error", "[integration][cli]") {
  TempDir dir("artery-cli");
  std::string output;
  for (const char* command : {"run", "validate", "test"}) {
    CHECK(run_artery({command, "--log-level", "verbose"}, output, dir.path()) == 2);
    INFO(output);
    CHECK(output.find("--log-level takes debug, info, warn or error, not 'verbose'") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "data"));
  write_text(dir / "channels/a.yaml", "name: a\nsource: {type: file, directory: in}\n");
  CHECK(run_artery({"validate", "--log-level", "warn"}, output, dir.path()) == 0);
}

TEST_CASE("artery send mllp refuses --connections 0 and bad counts", "[integration][cli]") {
  const auto sample = (fs::path(ARTERY_SOURCE_DIR) / "examples/data/oru_k_high.hl7").string();
  std::string output;
  CHECK(run_artery({"send", "mllp", "127.0.0.1:9", sample, "--connections", "0"}, output) == 2);
  CHECK(output.find("--connections takes a number from 1 to 1024, not '0'") != std::string::npos);
  CHECK(run_artery({"send", "mllp", "127.0.0.1:9", sample, "--repeat", "3x"}, output) == 2);
  CHECK(output.find("--repeat takes a positive number or 'forever', not '3x'") != std::string::npos);
}

TEST_CASE("artery send mllp on a folder says it is a folder", "[integration][cli]") {
  TempDir dir("artery-cli");
  std::string output;
  CHECK(run_artery({"send", "mllp", "127.0.0.1:9", dir.path().string()}, output) == 2);
  INFO(output);
  CHECK(output.find(dir.path().string() + " is a folder, not a file") != std::string::npos);
  CHECK(output.find("ms") == std::string::npos);  // nothing was sent
}

TEST_CASE("artery version prints no plugin-loader log lines", "[integration][cli]") {
  std::string output;
  REQUIRE(run_artery({"version"}, output) == 0);
  INFO(output);
  CHECK(output.rfind("artery ", 0) == 0);
  CHECK(output.find("loaded ") == std::string::npos);
  CHECK(output.find("INFO") == std::string::npos);
}
