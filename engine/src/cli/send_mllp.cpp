// The bedside-monitor simulator: sends HL7 files over MLLP, prints each ACK's
// code and control id, and a summary.
#include "cli/send_mllp.hpp"

#include "cli/arguments.hpp"
#include "cli/connector_client.hpp"
#include "cli/usage.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"

#include <artery/hl7.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace artery::cli {
namespace {

std::atomic<bool> g_interrupted{false};

struct Tally {
  std::mutex mutex;
  std::map<std::string, long> codes;
  std::vector<double> latencies_ms;
  long failures = 0;
};

// Messages of a file: one, or several back to back / in an FHS-BHS batch.
std::vector<std::string> messages_in(const std::string& file, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    // An ifstream opens a folder and reads nothing, which would send an empty message.
    error = file + " is a folder, not a file (give its files, e.g. " + file + "/*.hl7)";
    return {};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot read " + file;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  hl7::ParseError parse_error;
  if (auto split = hl7::split_batch(text.str(), &parse_error); split && !split->empty()) return *split;
  return {text.str()};  // let the receiver judge it (it will AR what does not parse)
}

// A per-send control id when repeating, so receivers with de-duplication
// and the MSA-2 check see distinct messages.
std::string with_control_id(const std::string& message, const std::string& suffix) {
  auto parsed = hl7::Message::parse(message);
  if (!parsed) return message;
  parsed->set("MSH-10", parsed->control_id() + suffix);
  return parsed->encode();
}

void report(const SendResult& result, const std::string& sent, double ms, Tally& tally) {
  std::string code, control_id, text;
  if (auto ack = hl7::Message::parse(result.response)) {
    code = ack->get("MSA-1");
    control_id = ack->get("MSA-2");
    text = ack->get("MSA-3");
  }
  if (control_id.empty())
    if (auto original = hl7::Message::parse(sent)) control_id = original->control_id();
  if (code.empty()) code = result.status == SendResult::Status::sent ? "OK" : "ERROR";
  std::lock_guard lock(tally.mutex);
  tally.codes[code]++;
  tally.latencies_ms.push_back(ms);
  if (result.status != SendResult::Status::sent) ++tally.failures;
  std::string detail = !text.empty() ? text : result.error;
  std::printf("%-5s %-30s %8.2f ms%s%s\n", code.c_str(), control_id.c_str(), ms, detail.empty() ? "" : "  ",
              detail.c_str());
  std::fflush(stdout);
}

}  // namespace

int send_mllp(int argc, char** argv) {
  constexpr const char* kCommand = "send mllp";
  auto args = parse_arguments(argc, argv, 3,
                              {"--repeat", "--interval", "--connections", "--timeout", "--plugins"});
  if (!args.error.empty()) return usage_error(kCommand, args.error);
  if (args.positional.empty()) return usage_error(kCommand, "give HOST:PORT and at least one FILE");
  if (args.positional.size() < 2) return usage_error(kCommand, "give at least one FILE after HOST:PORT");
  const std::string remote = args.positional[0];
  if (!parse_address(remote)) return usage_error(kCommand, "'" + remote + "' is not HOST:PORT");
  const std::string repeat_text = args.flag("--repeat").value_or("1");
  const bool forever = repeat_text == "forever";
  auto repeat = forever ? std::optional<long>(0) : positive_number(repeat_text);
  if (!repeat) return usage_error(kCommand, "--repeat takes a positive number or 'forever', not '" + repeat_text + "'");
  auto interval = parse_duration(args.flag("--interval").value_or("0"));
  if (!interval) return usage_error(kCommand, "--interval takes a duration like 1s or 250ms");
  if (auto timeout = args.flag("--timeout"); timeout && !parse_duration(*timeout))
    return usage_error(kCommand, "--timeout takes a duration like 30s, not '" + *timeout + "'");
  const std::string connections_text = args.flag("--connections").value_or("1");
  auto connections_given = positive_number(connections_text);
  if (!connections_given || *connections_given > 1024)
    return usage_error(kCommand, "--connections takes a number from 1 to 1024, not '" + connections_text + "'");
  const int connections = static_cast<int>(*connections_given);
  std::vector<std::string> messages;
  for (std::size_t i = 1; i < args.positional.size(); ++i) {
    std::string error;
    auto found = messages_in(args.positional[i], error);
    if (!error.empty()) {
      std::fprintf(stderr, "artery send mllp: %s\n", error.c_str());
      return 2;
    }
    messages.insert(messages.end(), found.begin(), found.end());
  }

  logger::set_level(LogLevel::warn);
  PluginRegistry plugins;
  plugins.load_directory(args.flag("--plugins").value_or(default_plugins_dir().string()));
  std::signal(SIGINT, [](int) { g_interrupted = true; });

  Tally tally;
  std::atomic<bool> setup_failed{false};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      ConnectorClient client(plugins, "mllp",
                             {{"remote", remote}, {"ack_timeout", args.flag("--timeout").value_or("30s")}},
                             "send-" + std::to_string(c));
      if (!client.ok()) {
        std::fprintf(stderr, "artery send mllp: %s\n", client.error().c_str());
        setup_failed = true;
        return;
      }
      for (long round = 0; (forever || round < *repeat) && !g_interrupted; ++round) {
        for (std::size_t m = 0; m < messages.size() && !g_interrupted; ++m) {
          std::string message = messages[m];
          if (forever || *repeat > 1 || connections > 1)
            message = with_control_id(message, "-" + std::to_string(c) + "-" + std::to_string(round));
          auto t0 = std::chrono::steady_clock::now();
          auto result = client.send(message, data_type::hl7v2);
          double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          report(result, message, ms, tally);
          if (interval->count() > 0) std::this_thread::sleep_for(*interval);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (setup_failed) return 1;

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto& lat = tally.latencies_ms;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * lat.size()))]; };
  std::string codes;
  for (const auto& [code, n] : tally.codes) codes += " " + code + "=" + std::to_string(n);
  std::printf("sent %zu message(s) in %.2f s (%.0f msg/s) over %d connection%s;%s; latency p50 %.2f ms, p99 %.2f ms\n",
              lat.size(), seconds, lat.size() / std::max(seconds, 1e-9), connections, connections == 1 ? "" : "s",
              codes.c_str(), pct(0.5), pct(0.99));
  return tally.failures == 0 ? 0 : 1;
}

}  // namespace artery::cli
