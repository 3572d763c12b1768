// The cost of a routed hop against an MLLP hop on loopback, in the real
// engine. Two pipelines, each fed over MLLP and ending in the same file
// destination:
//   routed: a (mllp) -> `channel` destination -> b (channel source) -> file
//   mllp:   a (mllp) -> mllp destination to 127.0.0.1 -> b (mllp source) -> file
// and, for the ceiling the sender and one channel set, no hop at all:
//   direct: a (mllp) -> file
// Each round sends a burst over 4 connections and times first send to last
// line in b's file: the delivery rate through both hops. Figures, never
// assertions; medians over the rounds.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr int kConnections = 4;
constexpr long kPerRound = 20'000;
constexpr int kRounds = 5;

std::string message(long n) {
  char id[32];
  std::snprintf(id, sizeof id, "H%09ld", n);
  return std::string("\x0bMSH|^~\\&|WARDMON|ICU-3|ARTERY|LAB|20261121083000||ORU^R01^ORU_R01|") + id +
         "|P|2.5.1\rPID|1||555444222^^^HOSP^MR||SMITH^JANE^A||19700412|F\r"
         "OBX|1|NM|2823-3^Potassium^LN||6.2|mmol/L|3.5-5.1|H|||F\r\x1c\x0d";
}

// Closed loop: send, wait for the ACK frame, repeat; `count` messages.
bool send_burst(int port, long first, long count) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  std::string buffer;
  bool ok = true;
  for (long n = first; n < first + count && ok; ++n) {
    const std::string frame = message(n);
    ok = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
    while (ok && buffer.find("\x1c\x0d") == std::string::npos) {
      char chunk[4096];
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      ok = got > 0;
      if (ok) buffer.append(chunk, static_cast<std::size_t>(got));
    }
    if (ok) buffer.erase(0, buffer.find("\x1c\x0d") + 2);
  }
  ::close(fd);
  return ok;
}

// Lines in a growing file, read incrementally.
class LineCounter {
 public:
  explicit LineCounter(fs::path file) : file_(std::move(file)) {}
  long count() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return lines_;
    in.seekg(offset_);
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
      lines_ += std::count(chunk, chunk + in.gcount(), '\n');
      offset_ += in.gcount();
    }
    return lines_;
  }

 private:
  fs::path file_;
  std::streamoff offset_ = 0;
  long lines_ = 0;
};

// Messages/s from the first send until b's file holds every message of the round.
double round_rate(int port, LineCounter& lines, long& sent_before) {
  const long target = sent_before + kPerRound;
  const auto start = Clock::now();
  std::vector<std::thread> senders;
  std::atomic<bool> ok{true};
  for (int c = 0; c < kConnections; ++c)
    senders.emplace_back([&, c] {
      if (!send_burst(port, sent_before + c * (kPerRound / kConnections), kPerRound / kConnections)) ok = false;
    });
  for (auto& s : senders) s.join();
  const bool all = eventually([&] { return lines.count() >= target; }, std::chrono::seconds(120));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sent_before = target;
  if (!ok || !all) return 0;
  return kPerRound / seconds;
}

std::string file_destination(const std::string& name) {
  return "destinations:\n  - name: out\n    type: file\n    directory: ../out\n    filename: " + name +
         ".hl7\n    mode: append\n    atomic: false\n    separator: \"\\n\"\n";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  TempDir dir("artery-bench-routing");
  const int routed_port = free_port(), mllp_port = free_port(), hop_port = free_port(), direct_port = free_port();
  auto listen = [](int port) { return "  listen: 127.0.0.1:" + std::to_string(port) + "\n"; };
  write_text(dir / "channels/routed-a.yaml", "name: routed-a\nsource:\n  type: mllp\n" + listen(routed_port) +
                                                 "destinations:\n  - name: hop\n    type: channel\n"
                                                 "    channel: routed-b\n");
  write_text(dir / "channels/routed-b.yaml", "name: routed-b\nsource:\n  type: channel\n" + file_destination("routed"));
  write_text(dir / "channels/mllp-a.yaml", "name: mllp-a\nsource:\n  type: mllp\n" + listen(mllp_port) +
                                               "destinations:\n  - name: hop\n    type: mllp\n    remote: 127.0.0.1:" +
                                               std::to_string(hop_port) + "\n");
  write_text(dir / "channels/mllp-b.yaml", "name: mllp-b\nsource:\n  type: mllp\n" + listen(hop_port) +
                                               file_destination("mllp"));
  write_text(dir / "channels/direct.yaml", "name: direct\nsource:\n  type: mllp\n" + listen(direct_port) +
                                               file_destination("direct"));
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--log-level", "warn"},
                       dir / "engine.log");
  if (!eventually([&] {
        int fd = connect_loopback(routed_port);
        if (fd >= 0) ::close(fd);
        return fd >= 0;
      }, std::chrono::seconds(20))) {
    std::fprintf(stderr, "engine did not start:\n%s\n", engine.log().c_str());
    return 1;
  }
  LineCounter routed_lines(dir / "out/routed.hl7"), mllp_lines(dir / "out/mllp.hl7"),
      direct_lines(dir / "out/direct.hl7");
  long routed_sent = 0, mllp_sent = 0, direct_sent = 0;
  std::vector<double> routed, mllp, direct;
  for (int round = 0; round < kRounds; ++round) {  // alternated, so load changes hit all alike
    routed.push_back(round_rate(routed_port, routed_lines, routed_sent));
    mllp.push_back(round_rate(mllp_port, mllp_lines, mllp_sent));
    direct.push_back(round_rate(direct_port, direct_lines, direct_sent));
  }
  const double r = median(routed), m = median(mllp), d = median(direct);
  std::printf("Routed hop vs MLLP hop (a -> hop -> b -> file, %ld messages a round over %d connections, "
              "median of %d):\n",
              kPerRound, kConnections, kRounds);
  std::printf("  %-44s %9.0f msg/s\n", "a -> channel destination -> b (in process)", r);
  std::printf("  %-44s %9.0f msg/s\n", "a -> mllp destination on loopback -> b", m);
  std::printf("  %-44s %9.0f msg/s\n", "a -> file, no hop (the ceiling here)", d);
  std::printf("  routed hop / MLLP hop: %.2fx%s\n", m > 0 ? r / m : 0.0,
              (r == 0 || m == 0) ? "   (FAILURES: see the engine log)" : "");
  engine.stop(SIGTERM);
  return 0;
}
