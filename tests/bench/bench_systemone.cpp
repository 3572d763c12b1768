// GetPatient throughput and latency of the demo EPR channel
// (channels/systemone-epr.yaml) run by the real engine: every request is
// framed by the systemone source, stored in SQLite, answered by the Lua
// script from ctx.store and wrapped in the response envelope.
// 1 and 8 connections, each sending its next request when the previous
// answer arrived; ~3 s per run, the median of 3 runs is printed.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;

namespace {

// A blocking client: one request line out, one response line back.
class Client {
 public:
  explicit Client(int port) : fd_(connect_loopback(port)) {
    if (fd_ < 0) throw std::runtime_error("connect failed");
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::string call(const std::string& request) {
    for (std::size_t off = 0; off < request.size();) {
      ssize_t n = ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      off += static_cast<std::size_t>(n);
    }
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 30'000) <= 0) throw std::runtime_error("no response within 30 s");
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("connection closed");
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

std::string get_patient(int i) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ClientIntegrationRequest><APIKey>artery-demo-key</APIKey>"
         "<DeviceID>bench</DeviceID><DeviceVersion>bench</DeviceVersion><RequestUID>bench-" + std::to_string(i) +
         "</RequestUID><Function>GetPatient</Function><FunctionVersion>1.0</FunctionVersion><FunctionParameters>"
         "<PatientID>P10000" + std::to_string(i % 10) + "</PatientID></FunctionParameters></ClientIntegrationRequest>\n";
}

struct Run {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long errors = 0;
};

Run run(int port, int connections, std::chrono::milliseconds duration) {
  std::vector<std::vector<double>> latencies(connections);
  std::atomic<long> errors{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline = start + duration;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      Client client(port);
      for (int i = c; Clock::now() < deadline; i += connections) {
        auto t0 = Clock::now();
        std::string response = client.call(get_patient(i));
        latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (response.find("<PatientID>") == std::string::npos) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Run r;
  r.per_second = all.size() / seconds;
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  r.p50_ms = pct(0.50);
  r.p99_ms = pct(0.99);
  r.errors = errors;
  return r;
}

}  // namespace

int main() {
  TempDir dir("artery-bench-systemone");
  const int port = free_port();
  std::string yaml = read_text(std::string(ARTERY_SOURCE_DIR) + "/channels/systemone-epr.yaml");
  yaml = std::regex_replace(yaml, std::regex("listen: 0\\.0\\.0\\.0:40700"), "listen: 127.0.0.1:" + std::to_string(port));
  yaml = std::regex_replace(yaml, std::regex("script: \\.\\./scripts/systemone_epr\\.lua"),
                            "script: " + std::string(ARTERY_SOURCE_DIR) + "/scripts/systemone_epr.lua");
  write_text(dir / "channels" / "systemone-epr.yaml", yaml);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--http", "127.0.0.1:" + std::to_string(free_port()), "--log-level", "warn"},
                       dir / "engine.log");
  if (!eventually([&] { try { Client probe(port); return true; } catch (...) { return false; } },
                  std::chrono::seconds(20))) {
    std::fprintf(stderr, "the engine did not start:\n%s\n", engine.log().c_str());
    return 1;
  }
  try {
    Client warm(port);
    for (int i = 0; i < 50; ++i) warm.call(get_patient(i));  // seeds the store, warms the Lua state
    std::printf("systemone EPR, GetPatient over TCP (engine: store + Lua + envelope), median of 3 x 3 s\n");
    for (int connections : {1, 8}) {
      std::vector<Run> runs;
      for (int i = 0; i < 3; ++i) runs.push_back(run(port, connections, std::chrono::seconds(3)));
      std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.per_second < b.per_second; });
      const Run& median = runs[1];
      std::printf("  %d connection%s: %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (runs %.0f / %.0f / %.0f req/s)%s\n",
                  connections, connections == 1 ? " " : "s", median.per_second, median.p50_ms, median.p99_ms,
                  runs[0].per_second, runs[1].per_second, runs[2].per_second,
                  median.errors ? "  ERRORS in responses" : "");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_systemone: %s\n%s\n", e.what(), engine.log().c_str());
    return 1;
  }
  engine.stop(SIGTERM);
  return 0;
}
