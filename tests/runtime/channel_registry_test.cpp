// The control plane: one channel stopped, started, paused, resumed,
// redeployed and undeployed while another takes traffic and a third thread
// reads snapshots; an operator's choice kept across a restart; a channel that
// cannot bind is `failed` with the reason and starts once the port is free.
#include "channel_harness.hpp"

#include "control/channel_registry.hpp"
#include "support/loopback.hpp"

#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace artery;
using namespace artery::testing;

namespace {

RuntimeEnvironment registry_environment(ChannelHarness& harness) {
  RuntimeEnvironment env = harness.environment();
  env.channels = nullptr;  // the registry puts itself here
  return env;
}

// For threads other than the test's: Catch2's assertions are not thread-safe.
Disposition settle(const std::shared_future<Disposition>& future) {
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) return {Disposition::Status::unavailable, 0, {}, "no answer"};
  return future.get();
}

ChannelState state_of(const ChannelRegistry& registry, const std::string& name) {
  auto snapshot = registry.snapshot(name);
  REQUIRE(snapshot);
  return snapshot->state;
}

}  // namespace

TEST_CASE("registry: one channel operated on while another takes traffic and snapshots are read",
          "[runtime][registry]") {
  ChannelHarness harness;
  const auto a_in = unique_memory_id("a-in"), a_out = unique_memory_id("a-out"), a_new = unique_memory_id("a-new");
  const auto b_in = unique_memory_id("b-in"), b_out = unique_memory_id("b-out");
  ChannelRegistry registry(registry_environment(harness));
  auto results = registry.deploy_all(
      {harness.load("a", memory_channel_yaml("a", a_in, a_out)), harness.load("b", memory_channel_yaml("b", b_in, b_out))});
  REQUIRE(results.size() == 2);
  REQUIRE(results[0].ok);
  REQUIRE(results[1].ok);

  // Traffic on b and snapshot readers all along.
  std::atomic<bool> done{false};
  std::atomic<int> b_accepted{0}, b_refused{0}, snapshots{0}, odd_snapshots{0};
  std::thread traffic([&] {
    while (!done) {
      auto d = settle(memory_source(b_in)->submit("to b"));
      (d.status == Disposition::Status::accepted ? b_accepted : b_refused)++;
    }
  });
  std::thread reader([&] {
    while (!done) {
      for (const auto& channel : registry.snapshot())
        if (channel.name.empty() || channel.counters.received < 0 || channel.counters.queued < 0) ++odd_snapshots;
      ++snapshots;
    }
  });

  CHECK(await(memory_source(a_in)->submit("one")).status == Disposition::Status::accepted);

  REQUIRE(registry.stop("a").ok);
  CHECK(state_of(registry, "a") == ChannelState::stopped);
  CHECK(registry.snapshot("a")->reason == "stopped by an operator");
  CHECK_FALSE(memory_source(a_in)->started());
  CHECK(await(memory_source(a_in)->submit("while stopped")).status == Disposition::Status::unavailable);

  REQUIRE(registry.start("a").ok);
  CHECK(state_of(registry, "a") == ChannelState::started);
  CHECK(await(memory_source(a_in)->submit("two")).status == Disposition::Status::accepted);

  // Paused: the source takes nothing, the destination still delivers what is queued.
  memory_destination(a_out)->hold(true);
  CHECK(await(memory_source(a_in)->submit("three")).status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return memory_destination(a_out)->in_flight(); }));
  REQUIRE(registry.pause("a").ok);
  CHECK(state_of(registry, "a") == ChannelState::paused);
  CHECK_FALSE(memory_source(a_in)->started());
  memory_destination(a_out)->hold(false);
  memory_destination(a_out)->release({SendResult::Status::sent, "ok", {}});
  CHECK(eventually([&] { return memory_destination(a_out)->delivered_count() == 3; }));
  CHECK(registry.resume("b").ok);  // already started: nothing to do
  auto unknown = registry.resume("nope");
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.error == "no channel named nope");
  REQUIRE(registry.resume("a").ok);
  CHECK(state_of(registry, "a") == ChannelState::started);
  CHECK(await(memory_source(a_in)->submit("four")).status == Disposition::Status::accepted);
  CHECK(eventually([&] { return memory_destination(a_out)->delivered_count() == 4; }));

  // Redeploy with another destination: the new version delivers, the old one no more.
  REQUIRE(registry.redeploy(harness.load("a", memory_channel_yaml("a", a_in, a_new))).ok);
  CHECK(state_of(registry, "a") == ChannelState::started);
  CHECK(await(memory_source(a_in)->submit("five")).status == Disposition::Status::accepted);
  CHECK(eventually([&] { return memory_destination(a_new)->delivered_count() == 1; }));
  CHECK(memory_destination(a_out)->delivered_count() == 4);

  REQUIRE(registry.undeploy("a").ok);
  CHECK_FALSE(registry.snapshot("a"));
  CHECK_FALSE(registry.start("a").ok);
  CHECK(registry.names() == std::vector<std::string>{"b"});

  done = true;
  traffic.join();
  reader.join();
  CHECK(snapshots > 0);
  CHECK(odd_snapshots == 0);
  // b never noticed: every message it was sent was accepted and delivered.
  CHECK(b_refused == 0);
  CHECK(b_accepted > 0);
  CHECK(eventually([&] { return memory_destination(b_out)->delivered_count() == static_cast<std::size_t>(b_accepted.load()); }));
  auto b = registry.snapshot("b");
  REQUIRE(b);
  CHECK(b->state == ChannelState::started);
  CHECK(b->counters.received == b_accepted);
  REQUIRE(b->destinations.size() == 1);
  CHECK(b->destinations[0].name == "out");
  registry.stop_all();
}

TEST_CASE("registry: an operator's stop and pause survive a restart", "[runtime][registry]") {
  ChannelHarness harness;
  const auto a_in = unique_memory_id("a-in"), b_in = unique_memory_id("b-in");
  auto configs = [&] {
    return std::vector<ChannelConfig>{harness.load("a", memory_channel_yaml("a", a_in, "")),
                                      harness.load("b", memory_channel_yaml("b", b_in, ""))};
  };
  {
    ChannelRegistry registry(registry_environment(harness));
    registry.deploy_all(configs());
    REQUIRE(registry.stop("a").ok);
    REQUIRE(registry.pause("b").ok);
    registry.stop_all();  // the engine's shutdown: not an operator's choice
  }
  harness.reopen_store();
  {
    ChannelRegistry registry(registry_environment(harness));
    registry.deploy_all(configs());
    CHECK(state_of(registry, "a") == ChannelState::stopped);
    CHECK(registry.snapshot("a")->reason == "stopped by an operator");
    CHECK_FALSE(memory_source(a_in)->started());
    CHECK(state_of(registry, "b") == ChannelState::paused);
    CHECK_FALSE(memory_source(b_in)->started());
    REQUIRE(registry.start("a").ok);
    REQUIRE(registry.resume("b").ok);
    registry.stop_all();
  }
  harness.reopen_store();
  ChannelRegistry registry(registry_environment(harness));
  registry.deploy_all(configs());
  CHECK(state_of(registry, "a") == ChannelState::started);
  CHECK(state_of(registry, "b") == ChannelState::started);
  CHECK(memory_source(a_in)->started());
  registry.stop_all();
}

TEST_CASE("registry: a channel whose port is taken is failed with the reason and starts once it frees",
          "[runtime][registry]") {
  ChannelHarness harness;
  harness.plugins().load_directory(ARTERY_PLUGIN_DIR);
  // Hold the port as another program would.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(holder, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(holder, 1) == 0);
  socklen_t length = sizeof address;
  ::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  ChannelRegistry registry(registry_environment(harness));
  auto results = registry.deploy_all(
      {harness.load("lab", "name: lab\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n")});
  CHECK_FALSE(results[0].ok);
  auto lab = registry.snapshot("lab");
  REQUIRE(lab);
  CHECK(lab->state == ChannelState::failed);
  INFO(lab->reason);
  CHECK(lab->reason.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(lab->reason.find("in use") != std::string::npos);

  ::close(holder);
  REQUIRE(registry.start("lab").ok);
  CHECK(state_of(registry, "lab") == ChannelState::started);
  const int client = connect_loopback(port);
  CHECK(client >= 0);
  ::close(client);
  registry.stop_all();
}
