// The file destination's append log as the file grows: the real engine reads
// 200,000 one-line messages (file source, split by line) and appends each to
// one log (mode: append, the defaults). Prints the delivery rate of each
// quarter: with appends that cost the message, not the file, the last
// quarter (log already 3/4 full) is about as fast as the first.
#include "support/engine_process.hpp"

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;

int main() {
  TempDir dir("artery-bench-append");
  std::filesystem::create_directories(dir / "channels");
  std::filesystem::create_directories(dir / "in");
  std::filesystem::copy_file(std::filesystem::path(ARTERY_FIXTURES) / "integration" / "message-log.yaml",
                             dir / "channels/message-log.yaml");
  constexpr int kMessages = 200'000, kFiles = 20;
  constexpr std::size_t kLine = 32;  // "msg-0000001 result 5.9 mmol/L ." + '\n'
  for (int f = 0; f < kFiles; ++f) {
    std::string batch;
    for (int i = f * (kMessages / kFiles); i < (f + 1) * (kMessages / kFiles); ++i) {
      char line[64];
      std::snprintf(line, sizeof line, "msg-%07d result 5.9 mmol/L .\n", i);
      batch += line;
    }
    char name[32];
    std::snprintf(name, sizeof name, "batch-%02d.txt", f);
    write_text(dir / "in" / name, batch);
  }
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "run.log");
  if (!engine.wait_for_log("running 1 of 1 channels")) {
    std::fprintf(stderr, "engine did not start:\n%s\n", engine.log().c_str());
    return 1;
  }
  auto delivered = [&] {
    struct stat s {};
    return ::stat((dir / "out/all.log").c_str(), &s) == 0 ? static_cast<std::size_t>(s.st_size) / kLine : 0;
  };
  std::printf("append log, %d messages of %zu bytes, 1 destination, default options\n", kMessages, kLine);
  auto start = Clock::now(), quarter_start = start;
  for (int q = 1; q <= 4; ++q) {
    const std::size_t target = static_cast<std::size_t>(kMessages) * q / 4;
    const auto deadline = Clock::now() + std::chrono::minutes(5);
    while (delivered() < target && Clock::now() < deadline && engine.running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (delivered() < target) {
      std::fprintf(stderr, "stalled at %zu messages\n", delivered());
      return 1;
    }
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - quarter_start).count();
    std::printf("  quarter %d (log %5.1f MB at its end): %8.0f msg/s\n", q, target * kLine / 1e6,
                (kMessages / 4) / seconds);
    quarter_start = now;
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("  all: %.0f msg/s\n", kMessages / total);
  engine.stop(SIGTERM);
  return 0;
}
