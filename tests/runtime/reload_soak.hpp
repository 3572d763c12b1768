// The hot-reload soak (issue #12), shared by the benchmark
// (tests/bench/bench_reload_soak.cpp, `make bench`, >= 60 s) and its shorter
// ctest form (tests/runtime/reload_soak_test.cpp): the real engine (store,
// plugins from the build) runs one MLLP channel with a Lua script and a file
// destination; 4 senders keep a connection each and send continuously,
// waiting for each ACK (a connection closed without an answer is reopened
// and the message sent again, as a real sender does), while the channel's
// script is changed 10 times and its YAML 5 times (one of them invalid, one
// changing the destination's file), each by editing the file and asking for
// a reload (ReloadCoordinator, as SIGHUP does; the watcher sees it too), and
// a second destination's plugin (the `versioned` test plugin, builds 1 and 2)
// is replaced 10 times by a new build renamed over its file in the engine's
// plugins folder, then a plugin reload (POST /api/plugins/reload's path).
// Reported: every AA'd message stored and delivered by both destinations,
// nothing queued at the end, connections refused (must be 0), the plugin
// version that delivered last, and the longest pause in ACKs during each swap.
#pragma once
#include "plugin/plugins_reload_outcome.hpp"
#include "runtime/engine.hpp"
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace artery::testing::soak {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::chrono::milliseconds duration{60'000};
  int connections = 4;
  int script_changes = 10;
  int yaml_changes = 5;  // the 2nd changes the destination's file, the 4th is invalid
  int plugin_changes = 10;  // versioned v2, v1, v2, ... renamed over the plugin file
};

struct Swap {
  std::string kind;  // "script", "yaml", "yaml (destination)", "yaml (invalid)", "plugin v1|v2"
  bool expected_ok = true;
  bool ok = false;
  std::string error;
  double took_ms = 0;   // the reload call
  double pause_ms = 0;  // the longest time without any ACK overlapping it
  Clock::time_point begin, end;
};

struct Report {
  std::string setup_error;
  double seconds = 0;
  std::int64_t acked = 0, resent = 0, refused = 0, connect_errors = 0, negative = 0;
  std::int64_t missing = 0, undelivered = 0, queued_at_end = 0, counters_queued = 0;
  std::int64_t unstamped = 0;  // AA'd but not delivered by the versioned destination
  std::string last_stamp;      // the plugin version that delivered the last message ("v1", "v2")
  std::vector<Swap> swaps;
  double pause_p99_ms = 0, pause_max_ms = 0, quiet_pause_max_ms = 0;

  bool swaps_as_expected() const {
    return std::all_of(swaps.begin(), swaps.end(), [](const Swap& s) { return s.ok == s.expected_ok; });
  }
};

namespace detail {

inline int connect_to(int port, int& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = errno;
    ::close(fd);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// What one sender saw.
struct Sender {
  std::vector<std::string> acked;
  std::vector<Clock::time_point> ack_times;
  std::int64_t resent = 0, refused = 0, connect_errors = 0, negative = 0;

  void run(int port, int index, const std::atomic<bool>& stop) {
    int fd = -1;
    int n = 0;
    std::string id, buffer;
    while (!stop) {
      if (fd < 0) {
        int error = 0;
        fd = connect_to(port, error);
        if (fd < 0) {
          (error == ECONNREFUSED ? refused : connect_errors)++;
          continue;
        }
        buffer.clear();
      }
      if (id.empty()) id = "SOAK" + std::to_string(index) + "-" + std::to_string(++n);
      const std::string frame = "\x0bMSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|" + id +
                                "|P|2.5\rPID|1||" + std::to_string(n) + "\rOBX|1|NM|GLU||5.4|mmol/L\r\x1c\x0d";
      std::string ack;
      if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size())) {
        for (;;) {
          if (auto end = buffer.find("\x1c\x0d"); end != std::string::npos) {
            ack = buffer.substr(0, end);
            buffer.erase(0, end + 2);
            break;
          }
          char chunk[4096];
          const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
          if (got <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(got));
        }
      }
      if (ack.empty()) {
        // Closed by a version that stopped: reconnect and send it again.
        ::close(fd);
        fd = -1;
        ++resent;
        continue;
      }
      if (ack.find("MSA|AA|" + id) != std::string::npos) {
        acked.push_back(id);
        ack_times.push_back(Clock::now());
      } else {
        ++negative;
      }
      id.clear();
    }
    if (fd >= 0) ::close(fd);
  }
};

// Written whole, then renamed: a reader (or a file watcher) never sees half a file.
inline void replace_file(const std::filesystem::path& file, const std::string& text) {
  const auto temporary = file.parent_path() / ("." + file.filename().string() + ".tmp");
  write_text(temporary, text);
  std::filesystem::rename(temporary, file);
}

inline std::string channel_yaml(int port, const std::filesystem::path& out, int version, const std::string& file,
                                bool invalid) {
  std::string yaml = "name: soak\ndescription: version " + std::to_string(version) +
                     "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                     "\nscript: soak.lua\ndestinations:\n  - name: stamped\n    type: versioned\n    path: " +
                     (out / "stamped.log").string() + "\n  - name: out\n    type: file\n    directory: " +
                     out.string() + "\n    filename: " + file + "\n    mode: append\n";
  if (invalid) yaml += "    filname: typo.hl7\n";  // an unknown option: validation refuses it
  return yaml;
}

inline std::string channel_script(int version) {
  return "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.vars.script_version = '" + std::to_string(version) +
         "'\nend\nreturn M\n";
}

inline double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace detail

inline Report run(const Settings& settings) {
  using namespace detail;
  Report report;
  TempDir dir("artery-soak");
  const int port = free_port();
  const auto out = dir / "out";
  const auto channels = dir / "channels";
  std::string file = "all.hl7";
  int yaml_version = 0;
  replace_file(channels / "soak.lua", channel_script(0));
  replace_file(channels / "soak.yaml", channel_yaml(port, out, yaml_version, file, false));
  // A plugins folder of its own, as an operator's: the built connectors and
  // build 1 of the plugin that is replaced.
  const auto plugins = dir / "plugins";
  const auto builds = std::filesystem::path(ARTERY_BUILD_DIR) / "test-plugins";
  std::filesystem::create_directories(plugins);
  std::filesystem::create_directories(out);  // the versioned plugin appends, it makes no folder
  for (const char* name : {"artery-mllp.so", "artery-file.so"})
    std::filesystem::copy_file(std::filesystem::path(ARTERY_PLUGIN_DIR) / name, plugins / name);
  std::filesystem::copy_file(builds / "versioned-v1.so", plugins / "versioned.so");

  EngineConfig config;
  config.channels_dir = channels;
  config.data_dir = dir / "data";
  config.plugins_dir = plugins;
  config.log_level = "warn";
  Engine engine(config);
  if (!engine.start(report.setup_error)) return report;
  if (!engine.reloads()) {
    report.setup_error = "the engine has no reload coordinator";
    return report;
  }
  if (!engine.start_failures().empty()) {
    report.setup_error = engine.start_failures().front().reason;
    return report;
  }

  std::atomic<bool> stop{false};
  std::vector<Sender> senders(static_cast<std::size_t>(settings.connections));
  std::vector<std::thread> threads;
  const auto began = Clock::now();
  for (int i = 0; i < settings.connections; ++i)
    threads.emplace_back([&, i] { senders[static_cast<std::size_t>(i)].run(port, i, stop); });

  // Spread evenly, in turns: script, plugin, script, plugin, YAML, ... each
  // kind skipped once its count is used up.
  const int total = settings.script_changes + settings.yaml_changes + settings.plugin_changes;
  const auto spacing = settings.duration / (total + 1);
  int scripts = 0, yamls = 0, plugin_swaps = 0;
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(began + spacing * (i + 1));
    const int turn = i % 5;  // 0 2: script, 1 3: plugin, 4: YAML
    bool yaml = turn == 4, plugin = turn == 1 || turn == 3;
    if (yaml && yamls >= settings.yaml_changes) yaml = false;
    if (plugin && plugin_swaps >= settings.plugin_changes) plugin = false;
    if (!yaml && !plugin && scripts >= settings.script_changes) {
      plugin = plugin_swaps < settings.plugin_changes;
      yaml = !plugin;
    }
    Swap swap;
    swap.begin = Clock::now();
    if (plugin) {
      // A new build renamed over the plugin's file (a deploy tool's way:
      // never half a file), then the plugin reload it asks for.
      ++plugin_swaps;
      const int version = plugin_swaps % 2 == 1 ? 2 : 1;
      swap.kind = "plugin v" + std::to_string(version);
      const auto temporary = plugins / ".versioned.so.new";
      std::filesystem::copy_file(builds / ("versioned-v" + std::to_string(version) + ".so"), temporary,
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::rename(temporary, plugins / "versioned.so");
      // The plugins folder is watched too: the watcher's reload may have
      // taken the build first (this one then finds nothing new). Either way
      // it returns after the new build serves the channel.
      const PluginsReloadOutcome outcome = engine.reload_plugins("soak");
      const auto loaded = engine.plugins().find("versioned");
      const std::string running = loaded ? loaded->version : "none";
      swap.ok = outcome.ok() && running == std::to_string(version) + ".0.0";
      if (!swap.ok) swap.error = "running " + running + ": " + outcome.summary();
      swap.end = Clock::now();
      swap.took_ms = ms(swap.end - swap.begin);
      report.swaps.push_back(std::move(swap));
      continue;
    }
    // The file-edit path, as an operator saves a file: the watcher sees it;
    // the folder reload asked for here (what SIGHUP and POST /api/reload
    // queue) is merged with the watcher's, and returns once it is carried out.
    if (yaml) {
      ++yamls;
      const bool invalid = yamls == 4;
      if (yamls == 2) file = "all-2.hl7";
      swap.kind = invalid ? "yaml (invalid)" : yamls == 2 ? "yaml (destination)" : "yaml";
      swap.expected_ok = !invalid;
      if (!invalid) ++yaml_version;
      replace_file(channels / "soak.yaml", channel_yaml(port, out, yaml_version, file, invalid));
    } else {
      ++scripts;
      swap.kind = "script";
      replace_file(channels / "soak.lua", channel_script(scripts));
    }
    ReloadRequest request;
    request.folder = true;
    request.triggers.push_back("soak");
    const ReloadOutcome outcome = engine.reloads()->run(std::move(request));
    // The channel's verdict: from this reload, or from the watcher's that ran first.
    swap.ok = false;
    for (const auto& change : outcome.changes)
      if (change.channel == "soak") {
        swap.ok = change.ok;
        swap.error = change.action + (change.error.empty() ? "" : ": " + change.error);
      }
    if (outcome.changes.empty())
      if (auto snapshot = engine.channels().snapshot("soak"); snapshot && snapshot->last_reload) {
        swap.ok = snapshot->last_reload->ok;
        swap.error = snapshot->last_reload->error;
      }
    if (swap.kind == "yaml (invalid)") {
      // Fixed again, as the operator would (back to the running version: no swap).
      replace_file(channels / "soak.yaml", channel_yaml(port, out, yaml_version, file, false));
      ReloadRequest again;
      again.folder = true;
      again.triggers.push_back("soak (fixed)");
      engine.reloads()->run(std::move(again));
    }
    swap.end = Clock::now();
    swap.error = swap.error.substr(0, swap.error.find('\n'));
    swap.took_ms = ms(swap.end - swap.begin);
    report.swaps.push_back(std::move(swap));
  }
  std::this_thread::sleep_until(began + settings.duration);
  stop = true;
  for (auto& t : threads) t.join();
  report.seconds = std::chrono::duration<double>(Clock::now() - began).count();

  // Nothing queued at the end: the destination catches up, then the store says so.
  auto& store = engine.store();
  eventually([&] { return store.pending_count("soak", "out") + store.pending_count("soak", "stamped") == 0; },
             std::chrono::seconds(60));
  report.queued_at_end = store.pending_count("soak", "out") + store.pending_count("soak", "stamped");
  if (auto snapshot = engine.channels().snapshot("soak")) report.counters_queued = snapshot->counters.queued;

  std::vector<Clock::time_point> times;
  std::set<std::string> acked;
  for (auto& s : senders) {
    report.resent += s.resent;
    report.refused += s.refused;
    report.connect_errors += s.connect_errors;
    report.negative += s.negative;
    acked.insert(s.acked.begin(), s.acked.end());
    times.insert(times.end(), s.ack_times.begin(), s.ack_times.end());
  }
  report.acked = static_cast<std::int64_t>(acked.size());
  MessageQuery query;
  query.channel = "soak";
  query.limit = 100'000'000;
  query.with_content = false;
  std::set<std::string> stored;
  for (const auto& record : store.search(query)) stored.insert(record.control_id);
  std::string delivered = read_text(out / "all.hl7");
  delivered += read_text(out / "all-2.hl7");
  std::set<std::string> delivered_ids;
  for (std::size_t at = 0; (at = delivered.find("|ORU^R01|", at)) != std::string::npos;) {
    at += 9;
    delivered_ids.insert(delivered.substr(at, delivered.find('|', at) - at));
  }
  // The versioned destination's lines: "v1 <message>" or "v2 <message>".
  std::set<std::string> stamped_ids;
  {
    std::istringstream lines(read_text(out / "stamped.log"));
    for (std::string line; std::getline(lines, line, '\n');) {
      const auto control = line.find("|ORU^R01|");
      if (line.rfind("v", 0) == 0 && line.find(' ') != std::string::npos) report.last_stamp = line.substr(0, line.find(' '));
      if (control == std::string::npos) continue;
      const auto from = control + 9;
      stamped_ids.insert(line.substr(from, line.find('|', from) - from));
    }
  }
  for (const auto& id : acked) {
    if (!stored.count(id)) ++report.missing;
    if (!delivered_ids.count(id)) ++report.undelivered;
    if (!stamped_ids.count(id)) ++report.unstamped;
  }

  // Pauses: the longest gap between two consecutive ACKs (any connection)
  // that overlaps each swap; and the longest gap overlapping none.
  std::sort(times.begin(), times.end());
  std::vector<double> pauses;
  for (auto& swap : report.swaps) {
    for (std::size_t i = 1; i < times.size(); ++i)
      if (times[i] >= swap.begin && times[i - 1] <= swap.end)
        swap.pause_ms = std::max(swap.pause_ms, ms(times[i] - times[i - 1]));
    pauses.push_back(swap.pause_ms);
  }
  for (std::size_t i = 1; i < times.size(); ++i) {
    const bool during = std::any_of(report.swaps.begin(), report.swaps.end(), [&](const Swap& s) {
      return times[i] >= s.begin && times[i - 1] <= s.end;
    });
    if (!during) report.quiet_pause_max_ms = std::max(report.quiet_pause_max_ms, ms(times[i] - times[i - 1]));
  }
  std::sort(pauses.begin(), pauses.end());
  if (!pauses.empty()) {
    const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(pauses.size())));
    report.pause_p99_ms = pauses[std::min(pauses.size(), std::max<std::size_t>(rank, 1)) - 1];
    report.pause_max_ms = pauses.back();
  }
  engine.stop();
  return report;
}

inline std::string format(const Report& r) {
  std::ostringstream text;
  char line[512];
  std::snprintf(line, sizeof line,
                "%.1f s, %lld AA (%.0f msg/s), resent after a closed connection %lld, refused %lld, other connect "
                "errors %lld, negative ACKs %lld\n",
                r.seconds, static_cast<long long>(r.acked), static_cast<double>(r.acked) / std::max(r.seconds, 1e-9),
                static_cast<long long>(r.resent), static_cast<long long>(r.refused),
                static_cast<long long>(r.connect_errors), static_cast<long long>(r.negative));
  text << line;
  std::snprintf(line, sizeof line,
                "AA'd but not stored %lld, not delivered %lld (by the replaced plugin: %lld, last delivered by %s), "
                "queued at the end %lld (counter %lld)\n",
                static_cast<long long>(r.missing), static_cast<long long>(r.undelivered),
                static_cast<long long>(r.unstamped), r.last_stamp.empty() ? "none" : r.last_stamp.c_str(),
                static_cast<long long>(r.queued_at_end), static_cast<long long>(r.counters_queued));
  text << line;
  for (const auto& s : r.swaps) {
    std::snprintf(line, sizeof line, "  %-19s %-6s call %7.1f ms, longest ACK pause %7.1f ms%s%s\n", s.kind.c_str(),
                  s.ok ? "ok" : "failed", s.took_ms, s.pause_ms, s.error.empty() ? "" : "  ", s.error.c_str());
    text << line;
  }
  std::snprintf(line, sizeof line,
                "longest ACK pause per swap: p99 %.1f ms, max %.1f ms (outside swaps: max %.1f ms)\n",
                r.pause_p99_ms, r.pause_max_ms, r.quiet_pause_max_ms);
  text << line;
  return text.str();
}

}  // namespace artery::testing::soak
