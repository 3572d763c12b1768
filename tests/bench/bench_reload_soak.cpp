// The hot-reload soak (issue #12), 60 s: HL7 over MLLP on 4 connections
// while the channel's script is changed 10 times, its YAML 5 times (one
// invalid, one changing the destination) and a destination's plugin 10
// times. Prints every swap's longest ACK pause and their p99; exits non-zero when anything AA'd was lost, stayed
// queued, or a sender was refused. The ctest form is
// tests/runtime/reload_soak_test.cpp; the driver is tests/runtime/reload_soak.hpp.
#include "runtime/reload_soak.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  artery::testing::soak::Settings settings;
  if (argc > 1) settings.duration = std::chrono::seconds(std::atoi(argv[1]));  // seconds, for a quicker look
  std::printf("reload soak: %lld s, %d MLLP connections, %d script changes, %d YAML changes, %d plugin builds\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(settings.duration).count()),
              settings.connections, settings.script_changes, settings.yaml_changes, settings.plugin_changes);
  const auto report = artery::testing::soak::run(settings);
  if (!report.setup_error.empty()) {
    std::fprintf(stderr, "cannot start the engine: %s\n", report.setup_error.c_str());
    return 1;
  }
  std::fputs(artery::testing::soak::format(report).c_str(), stdout);
  const bool lost = report.refused || report.connect_errors || report.missing || report.undelivered || report.unstamped ||
                    report.queued_at_end || !report.swaps_as_expected();
  if (lost) std::fputs("FAILED: see the counts above\n", stdout);
  return lost ? 1 : 0;
}
