// ChannelRegistry::reload_scripts: the channel's Lua states rebuilt from the
// files and swapped while messages flow. Each message runs wholly on one
// state (old or new), every message taken after the reload returned runs the
// new one, none is lost or answered twice; a script that does not compile
// keeps every old state and the error names the file and line.
#include "channel_harness.hpp"

#include "control/channel_registry.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace artery;
using namespace artery::testing;

namespace {

RuntimeEnvironment registry_environment(ChannelHarness& harness) {
  RuntimeEnvironment env = harness.environment();
  env.channels = nullptr;
  return env;
}

std::string channel_script(int version) {
  // A state that takes a moment to build: a half-built one would show.
  return "local M = {}\nlocal table_of = {}\nfor i = 1, 2000 do table_of[i] = i end\n"
         "local tag = 'c" + std::to_string(version) + "'\n"
         "function M.transform(msg, ctx) return tag .. ':' .. #table_of .. ':' .. msg end\nreturn M\n";
}

std::string destination_script(int version) {
  return "local M = {}\nfunction M.transform(msg, ctx) return 'd" + std::to_string(version) +
         "|' .. msg end\nreturn M\n";
}

// "d2|c1:2000:T0-17" -> {2, 1, "T0-17"}
struct Output {
  int destination = 0, channel = 0;
  std::string id;
};
Output parse(const std::string& content) {
  Output out;
  const auto bar = content.find('|');
  out.destination = std::stoi(content.substr(1, bar - 1));
  const auto colon = content.find(':', bar);
  out.channel = std::stoi(content.substr(bar + 2, colon - bar - 2));
  CHECK(content.substr(colon, 6) == ":2000:");
  out.id = content.substr(colon + 6);
  return out;
}

}  // namespace

TEST_CASE("script reload: under traffic the output switches at a message boundary, nothing lost",
          "[runtime][registry][reload]") {
  const int workers = GENERATE(1, 3);
  ChannelHarness harness;
  const auto src = unique_memory_id("reload-in"), dst = unique_memory_id("reload-out");
  harness.write_script("chan.lua", channel_script(1));
  harness.write_script("dest.lua", destination_script(1));
  ChannelRegistry registry(registry_environment(harness));
  REQUIRE(registry
              .deploy(harness.load("reload", memory_channel_yaml("reload", src, dst,
                                                                 "data_type: text\nscript: chan.lua\nworkers: " +
                                                                     std::to_string(workers) + "\n",
                                                                 "    script: dest.lua\n")))
              .ok);

  // Three senders, each waiting for its answer before the next message.
  std::atomic<bool> done{false};
  std::atomic<int> reloads_done{0};
  std::mutex mutex;
  struct Sent {
    int thread, sequence, reloads_before;
  };
  std::map<std::string, Sent> accepted;
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t)
    senders.emplace_back([&, t] {
      for (int n = 1; !done; ++n) {
        const std::string id = "T" + std::to_string(t) + "-" + std::to_string(n);
        const int before = reloads_done.load();
        auto future = memory_source(src)->submit(id);
        if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready ||
            future.get().status != Disposition::Status::accepted) {
          refused++;
          continue;
        }
        std::lock_guard lock(mutex);
        accepted[id] = {t, n, before};
      }
    });

  for (int version = 2; version <= 6; ++version) {
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    harness.write_script("chan.lua", channel_script(version));
    harness.write_script("dest.lua", destination_script(version));
    auto result = registry.reload_scripts("reload");
    INFO(result.error);
    REQUIRE(result.ok);
    reloads_done = version - 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  done = true;
  for (auto& s : senders) s.join();
  CHECK(refused == 0);
  REQUIRE(accepted.size() > 50);
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() >= accepted.size(); }));

  // Each delivered once; the versions a sender's messages ran on never go
  // back, and a message sent after reload k ran on version k+1 or later.
  std::map<std::string, int> seen;
  std::map<int, std::pair<int, int>> last_channel_version;  // thread -> (sequence, version)
  int destination_version = 0, stale = 0, regressions = 0;
  for (const auto& message : memory_destination(dst)->delivered()) {
    const Output out = parse(message.content);
    ++seen[out.id];
    auto it = accepted.find(out.id);
    REQUIRE(it != accepted.end());
    const Sent& sent = it->second;
    if (out.channel < sent.reloads_before + 1) ++stale;
    // One destination worker delivers in commit order: its version never goes back.
    if (out.destination < destination_version) ++regressions;
    destination_version = std::max(destination_version, out.destination);
    CHECK(out.destination >= out.channel);  // a delivery starts after its message was transformed
  }
  // Per sender, in sending order, the channel version never goes back.
  std::map<int, std::map<int, int>> by_thread;  // thread -> sequence -> version
  for (const auto& message : memory_destination(dst)->delivered()) {
    const Output out = parse(message.content);
    const Sent& sent = accepted.at(out.id);
    by_thread[sent.thread][sent.sequence] = out.channel;
  }
  for (const auto& [thread, versions] : by_thread) {
    int last = 0;
    for (const auto& [sequence, version] : versions) {
      if (version < last) ++regressions;
      last = version;
    }
  }
  CHECK(stale == 0);
  CHECK(regressions == 0);
  CHECK(destination_version == 6);
  CHECK(seen.size() == accepted.size());
  for (const auto& [id, count] : seen) CHECK(count == 1);
  (void)last_channel_version;
}

TEST_CASE("script reload: a script that does not compile keeps every old state and says file:line",
          "[runtime][registry][reload]") {
  ChannelHarness harness;
  const auto src = unique_memory_id("broken-in"), dst = unique_memory_id("broken-out");
  harness.write_script("chan.lua", channel_script(1));
  harness.write_script("dest.lua", destination_script(1));
  ChannelRegistry registry(registry_environment(harness));
  REQUIRE(registry
              .deploy(harness.load("broken", memory_channel_yaml("broken", src, dst, "data_type: text\nscript: chan.lua\n",
                                                                 "    script: dest.lua\n")))
              .ok);
  auto send = [&](const std::string& id) {
    REQUIRE(await(memory_source(src)->submit(id)).status == Disposition::Status::accepted);
    REQUIRE(eventually([&] {
      auto all = memory_destination(dst)->delivered();
      return !all.empty() && all.back().content.find(id) != std::string::npos;
    }));
    return memory_destination(dst)->delivered().back().content;
  };
  CHECK(send("A") == "d1|c1:2000:A");

  // The channel script now fine, the destination's broken: all or nothing.
  harness.write_script("chan.lua", channel_script(2));
  harness.write_script("dest.lua", "local M = {}\nfunction M.transform(msg, ctx)\n  return 'd2|' .. msg\nreturn M\n");
  auto result = registry.reload_scripts("broken");
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::Contains("destination out") && Catch::Contains("dest.lua:"));
  CHECK(send("B") == "d1|c1:2000:B");

  // A broken channel script: the same.
  harness.write_script("dest.lua", destination_script(2));
  harness.write_script("chan.lua", "local M = {}\nfunction M.transform(msg, ctx) return 'x' .. end\nreturn M\n");
  result = registry.reload_scripts("broken");
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::Contains("chan.lua:2"));
  CHECK(send("C") == "d1|c1:2000:C");

  // Fixed: both switch.
  harness.write_script("chan.lua", channel_script(3));
  result = registry.reload_scripts("broken");
  INFO(result.error);
  CHECK(result.ok);
  CHECK(send("D") == "d2|c3:2000:D");
  // The source and queue were untouched: still the same channel, running.
  CHECK(registry.snapshot("broken")->state == ChannelState::started);
  CHECK(registry.snapshot("broken")->counters.received == 4);
}
