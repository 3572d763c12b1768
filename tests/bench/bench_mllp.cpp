// MLLP end to end against the real engine: sender -> MLLP source -> Lua
// transform -> durable store commit -> ACK, with a file destination draining
// behind. Prints msg/s and ACK latency for 1 and 16 connections, each beside
// a bare loopback echo with as many connections, latency at a paced 5,000
// msg/s, and the engine's peak RSS. Figures, never assertions.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <algorithm>
#include <csignal>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// A closed-loop MLLP client: send one frame, read until its ACK frame ends.
class Client {
 public:
  explicit Client(int port) : fd_(connect_loopback(port)) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool round_trip(const std::string& frame) {
    if (::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) return false;
    for (;;) {
      auto end = std::search(buffer_.begin(), buffer_.end(), kEnd, kEnd + 2);
      if (end != buffer_.end()) {
        ok_ = std::string(buffer_.begin(), end).find("MSA|AA") != std::string::npos ||
              std::string(buffer_.begin(), end).find("MSA|CA") != std::string::npos;
        buffer_.erase(buffer_.begin(), end + 2);
        return true;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }
  bool acked() const { return ok_; }

 private:
  static constexpr char kEnd[2] = {0x1c, 0x0d};
  int fd_;
  std::vector<char> buffer_;
  bool ok_ = false;
};

std::string frame(const std::string& body) { return std::string(1, 0x0b) + body + std::string{0x1c, 0x0d}; }

std::string message(int connection, long n) {
  char id[48];
  std::snprintf(id, sizeof id, "B%02d-%09ld", connection, n);
  return std::string("MSH|^~\\&|WARDMON|ICU-3|ARTERY|LAB|20261121083000||ORU^R01^ORU_R01|") + id +
         "|P|2.5.1\rPID|1||555444222^^^HOSP^MR||SMITH^JANE^A||19700412|F\r"
         "OBR|1|ORD1001|FIL1001|BMP^Basic metabolic panel^L|||20261121082500\r"
         "OBX|1|NM|2823-3^Potassium^LN||6.2|mmol/L|3.5-5.1|H|||F|||20261121082500\r"
         "OBX|2|NM|2951-2^Sodium^LN||139|mmol/L|135-145|N|||F|||20261121082500\r";
}

struct Result {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  long failures = 0;
};

// `connections` closed loops for `seconds`; with `pace` > 0 each connection
// sends at most `pace` messages per second (open schedule, latency measured
// from the scheduled send time so queueing delay counts).
Result run(int port, int connections, double seconds, double pace) {
  std::vector<std::vector<double>> latencies(connections);
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      Client client(port);
      if (!client.ok()) {
        ++failures;
        return;
      }
      static std::atomic<long> sequence{0};
      long n = 0;
      auto next = Clock::now();
      const auto interval = pace > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / pace))
                                     : Clock::duration::zero();
      while (Clock::now() < stop) {
        // Sleep, not spin: spinning clients would take the engine's cores.
        if (pace > 0) std::this_thread::sleep_until(next);
        auto t0 = pace > 0 ? next : Clock::now();
        if (!client.round_trip(frame(message(c, sequence++)))) {
          ++failures;
          return;
        }
        if (!client.acked()) ++failures;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ++n;
        next += interval;
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

Result median_of(int runs, int port, int connections, double seconds, double pace) {
  std::vector<Result> results;
  for (int i = 0; i < runs; ++i) results.push_back(run(port, connections, seconds, pace));
  std::sort(results.begin(), results.end(), [](const Result& a, const Result& b) { return a.per_second < b.per_second; });
  return results[results.size() / 2];
}

// The machine's own ceiling right now: a bare echo server on loopback,
// `connections` closed loops of 400-byte messages, one server thread per
// connection, no MLLP, no store. This machine is shared, and this figure
// moves with its load as much as the engine's do, so the engine's rates are
// also printed as a share of the echo with as many connections.
double loopback_echo_per_second(double seconds, int connections = 1) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 64) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    return 0;
  std::vector<std::thread> echoes;
  for (int i = 0; i < connections; ++i)
    echoes.emplace_back([listener] {
      int peer = ::accept(listener, nullptr, nullptr);
      int one = 1;
      ::setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      char buffer[4096];
      for (;;) {
        ssize_t n = ::recv(peer, buffer, sizeof buffer, 0);
        if (n <= 0 || ::send(peer, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      ::close(peer);
    });
  std::atomic<long> round_trips{0};
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> clients;
  for (int i = 0; i < connections; ++i)
    clients.emplace_back([&] {
      int fd = connect_loopback(ntohs(address.sin_port));
      char message[400] = {};
      long n = 0;
      while (Clock::now() < stop) {
        if (::send(fd, message, sizeof message, MSG_NOSIGNAL) != sizeof message) break;
        if (::recv(fd, message, sizeof message, MSG_WAITALL) != sizeof message) break;
        ++n;
      }
      round_trips += n;
      ::close(fd);
    });
  for (auto& t : clients) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& t : echoes) t.join();
  ::close(listener);
  return static_cast<double>(round_trips) / elapsed;
}

// The engine's CPU time so far (user + system), in seconds: per message it is
// a figure that the machine's other load moves much less than msg/s.
double cpu_seconds(pid_t pid) {
  auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command: state is field 3; utime and stime are 14 and 15.
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long peak_rss_kib(pid_t pid) {
  auto status = read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::atol(status.c_str() + at + 6);
}

// One engine on the bench channel; `encrypt`: storage.encrypt with a key file.
std::unique_ptr<EngineProcess> start_engine(const fs::path& dir, int port, bool encrypt) {
  write_text(dir / "channels/transform.lua", R"(local M = {}
function M.transform(msg, ctx)
  ctx.vars.patient_id = msg:get("PID-3.1")
  msg:set("MSH-5", "BENCH")
end
return M
)");
  write_text(dir / "channels/bench.yaml", "name: bench\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                                              "\nscript: transform.lua\ndestinations:\n  - name: out\n    type: file\n"
                                              "    directory: ../out\n    filename: results.hl7\n    mode: append\n"
                                              "    atomic: false\n    separator: \"\\n\"\n");
  write_text(dir / "artery.yaml", encrypt ? "storage:\n  encrypt: true\n" : "");
  auto engine = std::make_unique<EngineProcess>(
      std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string(), "--channels",
                               (dir / "channels").string(), "--data", (dir / "data").string(), "--log-level", "warn"},
      dir / "engine.log");
  if (!eventually([&] { Client c(port); return c.ok(); }, std::chrono::seconds(20))) {
    std::fprintf(stderr, "engine did not start:\n%s\n", engine->log().c_str());
    return nullptr;
  }
  run(port, 4, 1.0, 0);  // warm-up: page cache, WAL, Lua states
  return engine;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Encryption off and on, two engines of the same build, measured in
// alternating rounds so the machine's other load falls on both alike; each
// round also measures the bare echo, the machine's ceiling at that moment.
int compare_encryption(int rounds) {
  TempDir plain_dir("artery-bench-plain"), sealed_dir("artery-bench-sealed");
  const int plain_port = free_port(), sealed_port = free_port();
  ::unsetenv("ARTERY_KEY");
  auto plain = start_engine(plain_dir.path(), plain_port, false);
  auto sealed = start_engine(sealed_dir.path(), sealed_port, true);
  if (!plain || !sealed) return 1;
  std::vector<double> echo, off1, on1, off16, on16, ratio1, ratio16, cpu_off, cpu_on;
  // The engine's CPU time per message: what encryption adds, much less moved
  // by the other tenants' load than msg/s.
  // After its run an engine still stores, indexes and delivers the last
  // messages: that tail is waited for (and counted in its CPU per message),
  // so it neither spills into the other engine's run nor goes unmeasured.
  auto settle = [](EngineProcess& engine) {
    double last = cpu_seconds(engine.pid());
    for (int i = 0; i < 60; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const double now = cpu_seconds(engine.pid());
      if (now - last < 0.002) return;
      last = now;
    }
  };
  auto measured = [&](EngineProcess& engine, int port, int connections, std::vector<double>& cpu) {
    const double before = cpu_seconds(engine.pid());
    const Result r = run(port, connections, 2.0, 0);
    settle(engine);
    if (r.per_second > 0) cpu.push_back(1e6 * (cpu_seconds(engine.pid()) - before) / (r.per_second * 2.0));
    return r;
  };
  for (int i = 0; i < rounds; ++i) {
    echo.push_back(loopback_echo_per_second(1.0));
    // Which engine goes first alternates: the second of a pair runs on a
    // machine the first has just warmed, or left busy.
    Result a, b, c, d;
    if (i % 2 == 0) {
      a = measured(*plain, plain_port, 1, cpu_off), b = measured(*sealed, sealed_port, 1, cpu_on);
      c = measured(*plain, plain_port, 16, cpu_off), d = measured(*sealed, sealed_port, 16, cpu_on);
    } else {
      b = measured(*sealed, sealed_port, 1, cpu_on), a = measured(*plain, plain_port, 1, cpu_off);
      d = measured(*sealed, sealed_port, 16, cpu_on), c = measured(*plain, plain_port, 16, cpu_off);
    }
    off1.push_back(a.per_second), on1.push_back(b.per_second), off16.push_back(c.per_second),
        on16.push_back(d.per_second);
    ratio1.push_back(a.per_second > 0 ? b.per_second / a.per_second : 0);
    ratio16.push_back(c.per_second > 0 ? d.per_second / c.per_second : 0);
    std::printf("  round %d: echo %8.0f/s  1 conn off %8.0f on %8.0f (%.2f)  16 conn off %8.0f on %8.0f (%.2f)%s\n",
                i + 1, echo.back(), a.per_second, b.per_second, ratio1.back(), c.per_second, d.per_second,
                ratio16.back(), a.failures + b.failures + c.failures + d.failures ? "  (FAILURES)" : "");
  }
  std::printf("MLLP, encryption at rest off vs on (medians of %d alternating rounds):\n", rounds);
  std::printf("  bare loopback echo           %9.0f round trips/s\n", median(echo));
  std::printf("  1 connection   off %9.0f   on %9.0f msg/s   on/off %.2f (median of the round ratios)\n",
              median(off1), median(on1), median(ratio1));
  std::printf("  16 connections off %9.0f   on %9.0f msg/s   on/off %.2f\n", median(off16), median(on16),
              median(ratio16));
  std::printf("  engine CPU per message: off %.1f us, on %.1f us (+%.0f %%)\n", median(cpu_off), median(cpu_on),
              median(cpu_off) > 0 ? 100.0 * (median(cpu_on) / median(cpu_off) - 1) : 0.0);
  plain->stop(SIGTERM);
  sealed->stop(SIGTERM);
  return 0;
}

}  // namespace

// `bench_mllp --single N`: only the echo and N single-connection runs, for
// quick before/after comparisons (ARTERY_BINARY picks the build under test).
// `bench_mllp --encryption N`: only the encryption off/on comparison, N rounds.
int main(int argc, char** argv) {
  const int single_runs = argc == 3 && std::string(argv[1]) == "--single" ? std::max(1, std::atoi(argv[2])) : 0;
  if (argc == 3 && std::string(argv[1]) == "--encryption") return compare_encryption(std::max(1, std::atoi(argv[2])));
  TempDir dir("artery-bench-mllp");
  const int port = free_port();
  auto engine_process = start_engine(dir.path(), port, false);
  if (!engine_process) return 1;
  EngineProcess& engine = *engine_process;
  std::printf("MLLP end to end (ORU^R01 ~400 B, Lua transform, durable ACK after commit, file destination):\n");
  auto print = [](const char* what, const Result& r) {
    std::printf("  %-34s %9.0f msg/s   ACK p50 %6.3f ms   p99 %6.3f ms%s\n", what, r.per_second, r.p50_ms, r.p99_ms,
                r.failures ? "   (FAILURES)" : "");
  };
  if (single_runs > 0) {
    for (int i = 0; i < single_runs; ++i) {
      const double echo = loopback_echo_per_second(1.0);
      const double cpu_before = cpu_seconds(engine.pid());
      const Result r = run(port, 1, 2.0, 0);
      const double cpu_us = r.per_second > 0 ? 1e6 * (cpu_seconds(engine.pid()) - cpu_before) / (r.per_second * 2.0) : 0;
      std::printf("  1 connection %9.0f msg/s  p50 %6.3f ms  p99 %6.3f ms  echo %9.0f/s  engine %.0f %% of echo  "
                  "engine CPU %.1f us/msg\n",
                  r.per_second, r.p50_ms, r.p99_ms, echo, echo > 0 ? 100.0 * r.per_second / echo : 0.0, cpu_us);
    }
    engine.stop(SIGTERM);
    return 0;
  }
  const double echo = loopback_echo_per_second(2.0);
  const Result single = median_of(3, port, 1, 3.0, 0);
  print("1 connection, send/ACK loop", single);
  std::printf("  %-34s %9.0f round trips/s (engine: %.0f %% of it)\n", "bare loopback echo, 1 connection", echo,
              echo > 0 ? 100.0 * single.per_second / echo : 0.0);
  const double echo16 = loopback_echo_per_second(2.0, 16);
  const Result sixteen = median_of(3, port, 16, 3.0, 0);
  print("16 connections, send/ACK loops", sixteen);
  std::printf("  %-34s %9.0f round trips/s (engine: %.0f %% of it)\n", "bare loopback echo, 16 connections", echo16,
              echo16 > 0 ? 100.0 * sixteen.per_second / echo16 : 0.0);
  print("4 connections paced, 5,000 msg/s", median_of(3, port, 4, 3.0, 1250));
  std::printf("  engine peak RSS: %.1f MiB\n", peak_rss_kib(engine.pid()) / 1024.0);
  engine.stop(SIGTERM);
  engine_process.reset();
  return compare_encryption(3);
}
