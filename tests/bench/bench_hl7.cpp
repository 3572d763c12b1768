// HL7 v2 throughput: parse+encode, parse+get, parse+set+encode and ACKs over
// every public sample message. Prints the median of 5 runs of ~2 s each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "artery/hl7.hpp"

namespace fs = std::filesystem;
using namespace artery::hl7;

namespace {

std::vector<std::string> load_messages() {
  std::vector<std::string> messages;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(ARTERY_FIXTURES) / "samples" / "hl7v2")) {
    if (e.is_regular_file() && e.path().extension() == ".hl7") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    auto split = split_batch(out.str());
    if (!split) {
      std::fprintf(stderr, "skipping %s\n", f.filename().c_str());
      continue;
    }
    for (auto& m : *split) messages.push_back(std::move(m));
  }
  return messages;
}

volatile std::size_t g_sink;  // keeps the work observable to the optimiser

struct Figures {
  double mb_per_s;
  double msgs_per_s;
};

// Runs `one` over all messages repeatedly for ~seconds; returns throughput.
Figures run_once(const std::vector<std::string>& messages, double seconds,
                 const std::function<std::size_t(const std::string&)>& one) {
  using clock = std::chrono::steady_clock;
  std::size_t bytes = 0, count = 0, sink = 0;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < deadline) {
    for (const auto& m : messages) {
      sink += one(m);
      bytes += m.size();
    }
    count += messages.size();
    now = clock::now();
  }
  g_sink = sink;
  const double elapsed = std::chrono::duration<double>(now - start).count();
  return {bytes / elapsed / 1e6, count / elapsed};
}

void bench(const char* name, const std::vector<std::string>& messages,
           const std::function<std::size_t(const std::string&)>& one) {
  std::vector<double> mb, rate;
  run_once(messages, 0.2, one);  // warm-up
  for (int run = 0; run < 5; ++run) {
    Figures f = run_once(messages, 2.0, one);
    mb.push_back(f.mb_per_s);
    rate.push_back(f.msgs_per_s);
  }
  std::sort(mb.begin(), mb.end());
  std::sort(rate.begin(), rate.end());
  std::printf("%-28s %9.1f MB/s  %12.0f msgs/s   (median of 5; min %.1f max %.1f MB/s)\n", name, mb[2], rate[2],
              mb[0], mb[4]);
  std::fflush(stdout);
}

}  // namespace

int main() {
  const auto messages = load_messages();
  std::size_t total = 0;
  for (const auto& m : messages) total += m.size();
  std::printf("hl7 bench: %zu sample messages, %zu bytes, avg %zu bytes/message\n", messages.size(), total,
              messages.empty() ? 0 : total / messages.size());
  if (messages.empty()) return 1;

  bench("parse+encode", messages, [](const std::string& text) {
    auto m = Message::parse(text);
    return m ? m->encode().size() : 0;
  });

  const Path msh10 = *parse_path("MSH-10");
  const Path pid31 = *parse_path("PID-3.1");
  const Path obx5 = *parse_path("OBX-5");
  bench("parse+get(MSH-10,PID-3.1,OBX-5)", messages, [&](const std::string& text) {
    auto m = Message::parse(text);
    if (!m) return std::size_t{0};
    return m->get(msh10).size() + m->get(pid31).size() + m->get(obx5).size();
  });

  bench("parse+get by string path", messages, [](const std::string& text) {
    auto m = Message::parse(text);
    if (!m) return std::size_t{0};
    return m->get("MSH-10").size() + m->get("PID-3.1").size() + m->get("OBX-5").size();
  });

  bench("parse+set(PID-5.1)+encode", messages, [](const std::string& text) {
    auto m = Message::parse(text);
    if (!m) return std::size_t{0};
    m->set("PID-5.1", "DOE");
    return m->encode().size();
  });

  bench("parse+build_ack", messages, [](const std::string& text) {
    auto m = Message::parse(text);
    if (!m) return std::size_t{0};
    return build_ack(*m, AckOptions{"AA", "", "ID1", "20240101000000"}).size();
  });
  return 0;
}
