// Hot reload with 200 channels in the folder: one channel changed, how long
// from the file's save until its new version takes messages, and proof that
// only it was touched. The real `artery run` on 200 MLLP channels whose
// scripts answer "<name> v<version>"; a sender polls the changed channel
// until the answer is the new version's. Two kinds of change: the script
// (its Lua states swapped) and the YAML (the channel redeployed). Figures,
// never assertions, except that nothing but the changed channel restarted.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr int kChannels = 200;
constexpr int kRounds = 5;

std::string name_of(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "c%03d", i);
  return name;
}

std::string script(const std::string& name, int version) {
  return "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.response = \"" + name + " v" + std::to_string(version) +
         "\"\nend\nreturn M\n";
}

std::string yaml(const std::string& name, int port, const fs::path& out, const std::string& description) {
  return "name: " + name + "\ndescription: " + description + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
         std::to_string(port) + "\nscript: ../scripts/" + name + ".lua\ndestinations:\n  - name: archive\n" +
         "    type: file\n    directory: " + out.string() + "\n    filename: " + name + ".hl7\n";
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Until the channel answers `expected`: ms since `saved`, or -1 after 20 s.
double until_answer(int port, const std::string& expected, Clock::time_point saved) {
  const auto deadline = saved + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    MllpClient client(port, 2);
    if (client.ok() && client.exchange(hl7_message("BENCH")) == expected)
      return std::chrono::duration<double, std::milli>(Clock::now() - saved).count();
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return -1;
}

void print_figures(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("%-40s median %7.1f ms   max %7.1f ms   (%zu rounds)\n", what, ms[ms.size() / 2], ms.back(), ms.size());
}

}  // namespace

int main() {
  TempDir dir{"artery-bench-reload"};
  fs::create_directories(dir / "channels");
  fs::create_directories(dir / "scripts");
  std::vector<int> ports;
  for (int i = 0; i < kChannels; ++i) {
    int port = free_port();  // free now, but not reserved: never the same twice
    while (std::find(ports.begin(), ports.end(), port) != ports.end()) port = free_port();
    ports.push_back(port);
    write_text(dir / ("scripts/" + name_of(i) + ".lua"), script(name_of(i), 1));
    write_text(dir / ("channels/" + name_of(i) + ".yaml"), yaml(name_of(i), ports[i], dir / "out", "version 1"));
  }
  write_text(dir / "artery.yaml", "");
  EngineProcess engine({"run", "--config", (dir / "artery.yaml").string(), "--channels", (dir / "channels").string(),
                        "--data", (dir / "data").string(), "--http", "off"},
                       dir / "engine.log");
  if (!engine.wait_for_log("running " + std::to_string(kChannels) + " of " + std::to_string(kChannels),
                           std::chrono::seconds(120))) {
    const std::string log = engine.log();
    std::fprintf(stderr, "the engine did not start %d channels:\n%s\n", kChannels,
                 log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
    return 1;
  }
  std::printf("%d channels, each on its own MLLP port; one changed per round\n", kChannels);

  std::vector<double> script_ms, yaml_ms;
  std::vector<std::string> changed;
  int version = 1;
  for (int round = 0; round < kRounds; ++round) {
    // A different channel each time, so no round profits from the last.
    const int i = (17 + round * 37) % kChannels;
    changed.push_back(name_of(i));
    const std::string name = name_of(i);
    ++version;
    auto saved = Clock::now();
    write_text(dir / ("scripts/" + name + ".lua"), script(name, version));
    script_ms.push_back(until_answer(ports[i], name + " v" + std::to_string(version), saved));

    ++version;
    saved = Clock::now();
    // The YAML changes too (its description), and so does the answer.
    write_text(dir / ("scripts/" + name + ".lua"), script(name, version));
    write_text(dir / ("channels/" + name + ".yaml"), yaml(name, ports[i], dir / "out", "version " + std::to_string(version)));
    yaml_ms.push_back(until_answer(ports[i], name + " v" + std::to_string(version), saved));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the next round starts from quiet
  }
  print_figures("script saved -> new version answers:", script_ms);
  print_figures("YAML saved -> redeployed version answers:", yaml_ms);

  const std::string log = engine.log();
  // Only the changed channels were touched: each once per change, no other stopped.
  const std::size_t reloads = count(log, "[reload] reload #");
  const std::size_t scripts = count(log, " scripts reloaded (its scripts changed)");
  const std::size_t redeploys = count(log, " redeployed (its file changed)");
  std::size_t stopped = 0;  // channels that were not changed, yet stopped
  for (int i = 0; i < kChannels; ++i)
    if (std::find(changed.begin(), changed.end(), name_of(i)) == changed.end())
      stopped += count(log, "[" + name_of(i) + "] stopped");
  std::printf("reloads: %zu, scripts reloaded: %zu, redeployed: %zu, unchanged channels stopped: %zu (%d changes made)\n",
              reloads, scripts, redeploys, stopped, 2 * kRounds);
  for (auto at = log.find("[reload] reload #"); at != std::string::npos; at = log.find("[reload] reload #", at + 1))
    std::printf("  %s\n", log.substr(at, log.find('\n', at) - at).c_str());
  engine.stop(SIGTERM);
  const bool only_changed = scripts == kRounds && redeploys == kRounds && stopped == 0;
  if (!only_changed) std::printf("UNEXPECTED: a channel other than the changed one was touched\n");
  return only_changed && std::none_of(script_ms.begin(), script_ms.end(), [](double ms) { return ms < 0; }) ? 0 : 1;
}
