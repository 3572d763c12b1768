// The hot-reload soak's ctest form (~15 s; `make bench` runs the 60 s one,
// tests/bench/bench_reload_soak.cpp): 4 MLLP connections sending while the
// channel's script changes 10 times, its YAML 5 times (one invalid, one
// changing the destination) and a destination's plugin 10 times. See
// reload_soak.hpp.
#include "reload_soak.hpp"

#include <catch2/catch.hpp>

using namespace artery::testing;

TEST_CASE("registry reload soak: 25 swaps under 4 mllp senders lose nothing and refuse no connection",
          "[runtime][registry][mllp][reload][soak]") {
  soak::Settings settings;
  settings.duration = std::chrono::seconds(15);
  const auto report = soak::run(settings);
  REQUIRE(report.setup_error.empty());
  WARN(soak::format(report));
  CHECK(report.refused == 0);
  CHECK(report.connect_errors == 0);
  CHECK(report.negative == 0);
  CHECK(report.acked > 1000);
  CHECK(report.missing == 0);
  CHECK(report.undelivered == 0);
  CHECK(report.unstamped == 0);
  CHECK(report.last_stamp == "v1");  // the 10th build in: v2, v1, ..., v1
  CHECK(report.queued_at_end == 0);
  CHECK(report.counters_queued == 0);
  REQUIRE(report.swaps.size() == 25);
  CHECK(report.swaps_as_expected());
  for (const auto& swap : report.swaps)
    if (swap.kind == "yaml (invalid)") CHECK_THAT(swap.error, Catch::Contains("filname"));
  // Not a benchmark here (the machine is shared): only that no swap stalls the senders.
  CHECK(report.pause_max_ms < 5000);
}
