// metrics_public in artery.yaml: a boolean, false unless written, and a
// wrong value reported at its file:line:col like every other key.
#include "config/engine_config.hpp"
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery;
using artery::testing::TempDir;
using artery::testing::write_text;

TEST_CASE("metrics_public is false unless the engine config says true") {
  TempDir dir("artery-metrics-config");
  Diagnostics diagnostics;
  write_text(dir / "default.yaml", "log_level: info\n");
  auto config = load_engine_config(dir / "default.yaml", diagnostics);
  REQUIRE(config);
  CHECK_FALSE(config->metrics_public);

  write_text(dir / "open.yaml", "metrics_public: true\n");
  config = load_engine_config(dir / "open.yaml", diagnostics);
  REQUIRE(config);
  CHECK(config->metrics_public);

  write_text(dir / "closed.yaml", "metrics_public: false\n");
  config = load_engine_config(dir / "closed.yaml", diagnostics);
  REQUIRE(config);
  CHECK_FALSE(config->metrics_public);
  CHECK(diagnostics.empty());
}

TEST_CASE("a wrong metrics_public is reported at its line and column") {
  TempDir dir("artery-metrics-config");
  Diagnostics diagnostics;
  write_text(dir / "bad.yaml", "log_level: info\nmetrics_public: sometimes\n");
  CHECK_FALSE(load_engine_config(dir / "bad.yaml", diagnostics));
  REQUIRE(diagnostics.size() == 1);
  const auto text = diagnostics.front().str();
  INFO(text);
  CHECK(text.find("bad.yaml:2:17:") != std::string::npos);
  CHECK(text.find("metrics_public") != std::string::npos);
}
