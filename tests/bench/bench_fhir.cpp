// FHIR repository throughput: creates (POST Patient, durable: answered after
// the channel stored the message and the repository committed it) and reads
// (GET Patient/[id]) against the real `artery run` with a `type: fhir,
// repository: true` channel, on 1 and 8 keep-alive connections, with p50/p99.
// The reference measured in the same run is the engine's bare HttpServer
// answering an echo handler in this process: the HTTP cost without FHIR.
// Each case runs 3 times, the cases alternated round by round, and prints
// its medians and its throughput as a share of the echo of the same round
// (ARTERY_BENCH_SECONDS sets the seconds per case, default 3).
//
// Two engines run side by side, one with `storage: {encrypt: true}` in its
// artery.yaml (the repository seals every version and hashes its search
// index, the engine's store seals the message) and one without; each case
// runs against both in the same round, so "encryption on" is next to "off".
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <artery/http_server.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;

namespace {

// One keep-alive HTTP/1.1 connection: Content-Length bodies only (what the server sends).
class KeepAliveClient {
 public:
  explicit KeepAliveClient(int port) : fd_(connect_loopback(port)) {}
  ~KeepAliveClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // The status, or 0 when the connection failed; the body in `body`.
  int request(const std::string& method, const std::string& target, const std::string& body, std::string& answer) {
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.empty()) head += "Content-Type: application/fhir+json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    head += "\r\n" + body;
    if (::send(fd_, head.data(), head.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(head.size())) return 0;
    for (;;) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto cl = buffer_.find("Content-Length: ");
        std::size_t length = cl != std::string::npos && cl < end ? std::stoul(buffer_.substr(cl + 16)) : 0;
        if (buffer_.size() >= end + 4 + length) {
          int status = std::atoi(buffer_.c_str() + 9);
          answer = buffer_.substr(end + 4, length);
          buffer_.erase(0, end + 4 + length);
          return status;
        }
      }
      char chunk[16384];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

struct Result {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  long failures = 0;
};

const std::string kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"MRN-12345"}],)"
    R"("name":[{"family":"Chalmers","given":["Peter","James"]}],"gender":"male","birthDate":"1974-12-25",)"
    R"("address":[{"line":["534 Erewhon St"],"city":"PleasantVille","postalCode":"3999"}]})";

// `step(connection, n, client)` does one request and says whether it was answered as expected.
template <class Step>
Result run(int port, int connections, double seconds, Step step) {
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      KeepAliveClient client(port);
      if (!client.ok()) {
        ++failures;
        return;
      }
      long n = 0;
      while (Clock::now() < stop) {
        auto t0 = Clock::now();
        if (!step(c, n++, client)) ++failures;
        latencies[static_cast<std::size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.failures = failures;
  if (all.empty()) return r;
  r.per_second = static_cast<double>(all.size()) / elapsed;
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// One case's results over the rounds, with the echo of the same connection
// count measured in the same round: the machine is shared and its load
// changes by the minute, so a figure means something next to its echo.
struct Case {
  std::string name;
  int connections = 1;
  bool echo = false;
  std::vector<Result> rounds;
  std::vector<double> ratio;  // per_second / echo per_second, per round
};

void print_case(const Case& c) {
  std::vector<double> per_second, p50, p99, all;
  long failures = 0;
  for (const auto& r : c.rounds) {
    per_second.push_back(r.per_second);
    p50.push_back(r.p50_ms);
    p99.push_back(r.p99_ms);
    failures += r.failures;
  }
  std::string each;
  for (double x : per_second) each += (each.empty() ? "" : " ") + std::to_string(static_cast<long>(x));
  std::printf("  %-50s %8.0f req/s", c.name.c_str(), median(per_second));
  if (c.echo)
    std::printf("          ");
  else
    std::printf("  %5.1f %%", 100.0 * median(c.ratio));
  std::printf("   p50 %7.3f ms   p99 %7.3f ms   [%s]%s\n", median(p50), median(p99), each.c_str(),
              failures ? ("   FAILURES " + std::to_string(failures)).c_str() : "");
}

double seconds_per_case() {
  const char* text = std::getenv("ARTERY_BENCH_SECONDS");
  const double s = text ? std::atof(text) : 0;
  return s > 0 ? s : 3.0;
}

}  // namespace

int main() {
  const double seconds = seconds_per_case();
  const int rounds = 3;
  // Reference: the bare HttpServer, an echo handler, same request body. It
  // runs through the whole benchmark (idle while the engine is measured).
  artery::HttpRouter router;
  router.add("POST", "/echo", [](const artery::HttpRequest& request) {
    return artery::HttpResponse::json(201, request.body);
  });
  artery::HttpServerOptions echo_options;
  artery::HttpServer echo_server(std::move(echo_options), std::move(router));
  std::string error;
  if (!echo_server.start(error)) {
    std::fprintf(stderr, "echo server: %s\n", error.c_str());
    return 1;
  }
  auto echo = [&](int, long, KeepAliveClient& client) {
    std::string answer;
    return client.request("POST", "/echo", kPatient, answer) == 201;
  };

  // One engine per setting, each with its own data folder and port.
  struct Engine {
    TempDir dir{"artery-bench-fhir"};
    int port = free_port();
    std::unique_ptr<EngineProcess> process;
    std::mutex ids_mutex;
    std::vector<std::string> ids;
  };
  Engine engines[2];  // [0] encryption off, [1] on
  for (int e = 0; e < 2; ++e) {
    Engine& engine = engines[e];
    write_text(engine.dir / "channels/ehr.yaml", "name: ehr\nsource:\n  type: fhir\n  listen: 127.0.0.1:" +
                                                     std::to_string(engine.port) +
                                                     "\n  repository: true\n  handler_threads: 4\n");
    write_text(engine.dir / "artery.yaml",
               e == 1 ? "storage:\n  encrypt: true\n  key_file: " + (engine.dir / "artery.key").string() + "\n" : "{}\n");
    engine.process = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (engine.dir / "artery.yaml").string(), "--channels",
                                 (engine.dir / "channels").string(), "--data", (engine.dir / "data").string(), "--http",
                                 "off", "--log-level", "warn"},
        engine.dir / "engine.log");
    if (!eventually([&] { KeepAliveClient c(engine.port); return c.ok(); }, std::chrono::seconds(20))) {
      std::fprintf(stderr, "engine did not start:\n%s\n", engine.process->log().c_str());
      return 1;
    }
  }
  auto create_on = [&](Engine& engine) {
    return [&engine](int, long, KeepAliveClient& client) {
      std::string answer;
      if (client.request("POST", "/fhir/Patient", kPatient, answer) != 201) return false;
      auto at = answer.find("\"id\":\"");
      if (at == std::string::npos) return false;
      std::lock_guard lock(engine.ids_mutex);
      engine.ids.push_back(answer.substr(at + 6, answer.find('"', at + 6) - at - 6));
      return true;
    };
  };
  auto read_on = [&](Engine& engine) {
    return [&engine](int c, long n, KeepAliveClient& client) {
      std::string answer;
      const std::string& id = engine.ids[static_cast<std::size_t>(c * 7919 + n * 104729) % engine.ids.size()];
      return client.request("GET", "/fhir/Patient/" + id, "", answer) == 200;
    };
  };
  run(echo_server.port(), 4, 0.5, echo);  // warm-up
  for (auto& engine : engines) run(engine.port, 4, 1.0, create_on(engine));

  std::vector<Case> cases = {{"echo, 1 connection", 1, true, {}, {}},
                             {"echo, 8 connections", 8, true, {}, {}}};
  // Off and on next to each other, case by case.
  for (const char* what : {"create POST Patient", "read GET Patient/[id]"})
    for (int connections : {1, 8})
      for (const char* setting : {"", " [encrypted]"})
        cases.push_back({std::string(what) + ", " + std::to_string(connections) + (connections == 1 ? " connection" : " connections") +
                             setting,
                         connections, false, {}, {}});
  for (int round = 0; round < rounds; ++round) {
    for (auto& c : cases) {
      Engine& engine = engines[c.name.find("[encrypted]") != std::string::npos ? 1 : 0];
      if (c.echo)
        c.rounds.push_back(run(echo_server.port(), c.connections, seconds, echo));
      else if (c.name.rfind("create", 0) == 0)
        c.rounds.push_back(run(engine.port, c.connections, seconds, create_on(engine)));
      else
        c.rounds.push_back(run(engine.port, c.connections, seconds, read_on(engine)));
    }
    for (auto& c : cases) {
      const Case& reference = cases[c.connections == 1 ? 0 : 1];
      const double e = reference.rounds.back().per_second;
      c.ratio.push_back(e > 0 ? c.rounds.back().per_second / e : 0);
    }
  }
  echo_server.stop();
  std::printf("FHIR repository (artery run, type: fhir, repository: true; creates durable: channel stored + committed)\n"
              "%d rounds of %.0f s per case, alternated; medians, %% = req/s of the echo with as many connections in\n"
              "the same round; [each round's req/s]. Echo: the bare HttpServer, same ~%zu B body, this process.\n",
              rounds, seconds, kPatient.size());
  for (const auto& c : cases) print_case(c);
  // Encryption's cost: each on/off pair's medians.
  std::printf("encryption on vs off (median req/s):\n");
  for (std::size_t i = 2; i + 1 < cases.size(); i += 2) {
    auto med = [](const Case& c) {
      std::vector<double> v;
      for (const auto& r : c.rounds) v.push_back(r.per_second);
      return median(v);
    };
    const double off = med(cases[i]), on = med(cases[i + 1]);
    std::printf("  %-50s off %8.0f   on %8.0f   cost %5.1f %%\n", cases[i].name.c_str(), off, on,
                off > 0 ? 100.0 * (off - on) / off : 0.0);
  }
  std::printf("  (%zu Patients in the plain repository, %zu in the encrypted one at the end)\n", engines[0].ids.size(),
              engines[1].ids.size());
  for (auto& engine : engines) engine.process->stop(SIGTERM);
  return 0;
}
