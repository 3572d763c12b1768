// The admin API with many channels, as the dashboard loads it: the engine
// runs 200 MLLP channels, a logged-in client asks for GET /api/channels
// (what the dashboard's first paint needs) and GET /api/health, and reads
// `stats` events from GET /api/events. Medians of repeated requests over
// real loopback HTTP; figures, never assertions.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr int kChannels = 200;
constexpr int kRequests = 40;
const char* kPassword = "bench-admin-password-1";

double median_ms(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Timed {
  double median = 0;
  std::size_t bytes = 0;
  int status = 0;
};

Timed time_get(int port, const std::string& target, const std::string& cookie) {
  std::vector<double> ms;
  Timed out;
  for (int i = 0; i < kRequests; ++i) {
    auto start = Clock::now();
    auto reply = http_get(port, target, {{"Cookie", cookie}});
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    out.bytes = reply.body.size();
    out.status = reply.status;
  }
  out.median = median_ms(ms);
  return out;
}

}  // namespace

int main() {
  TempDir dir("artery-bench-admin");
  fs::create_directories(dir / "channels");
  for (int i = 0; i < kChannels; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "ward-%03d", i);
    write_text(dir / "channels" / (std::string(name) + ".yaml"),
               std::string("name: ") + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                   std::to_string(free_port()) +
                   "\ndestinations:\n  - name: archive\n    type: file\n    directory: " + (dir / "out").string() +
                   "\n    filename: ${control_id}.hl7\n    mode: append\n");
  }
  const int http_port = free_port();
  setenv("ARTERY_ADMIN_PASSWORD", kPassword, 1);
  auto started = Clock::now();
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                        "127.0.0.1:" + std::to_string(http_port)},
                       dir / "engine.log");
  if (!engine.wait_for_log("admin API and console on", std::chrono::seconds(120))) {
    std::fprintf(stderr, "engine did not start:\n%s\n", engine.log().c_str());
    return 1;
  }
  const double start_s = std::chrono::duration<double>(Clock::now() - started).count();
  auto login = http_post_json(http_port, "/api/login",
                              std::string("{\"user\":\"admin\",\"password\":\"") + kPassword + "\"}");
  std::string cookie;
  for (const auto& set : login.headers_named("set-cookie"))
    if (set.rfind("artery_session=", 0) == 0) cookie = set.substr(0, set.find(';'));
  if (login.status != 200 || cookie.empty()) {
    std::fprintf(stderr, "login failed: %d %s\n", login.status, login.body.c_str());
    return 1;
  }
  auto channels = time_get(http_port, "/api/channels", cookie);
  auto one = time_get(http_port, "/api/channels/ward-100", cookie);
  auto health = time_get(http_port, "/api/health", cookie);

  // SSE: what one `stats` event weighs with 200 channels.
  auto events = http_request(http_port, {"GET", "/api/events", {{"Cookie", cookie}}, {}}, 2500);
  std::size_t event_bytes = 0;
  if (auto at = events.body.find("event: stats"); at != std::string::npos) {
    auto end = events.body.find("\n\n", at);
    event_bytes = (end == std::string::npos ? events.body.size() : end) - at;
  }

  std::printf("Admin API with %d MLLP channels (real engine, loopback HTTP, median of %d):\n", kChannels, kRequests);
  std::printf("  engine start to admin API up       %6.2f s\n", start_s);
  std::printf("  GET /api/channels (dashboard)      %6.2f ms  %7zu bytes  (status %d)\n", channels.median,
              channels.bytes, channels.status);
  std::printf("  GET /api/channels/ward-100         %6.2f ms  %7zu bytes\n", one.median, one.bytes);
  std::printf("  GET /api/health                    %6.2f ms  %7zu bytes\n", health.median, health.bytes);
  std::printf("  one SSE stats event                         %7zu bytes\n", event_bytes);
  engine.stop(SIGTERM);
  return 0;
}
