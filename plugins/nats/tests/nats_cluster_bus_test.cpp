// The cluster bus (artery/cluster_bus.hpp) on a real nats-server: what the
// cluster view stands on. Publish/subscribe with wildcards, request/reply,
// no responders, timeouts, and a subscription destroyed while its handler
// runs (the destructor must wait for it).
#include "nats_cluster_bus.hpp"
#include "nats_test_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

using artery::testing::eventually;
using artery::testing::NatsCluster;

namespace {

std::unique_ptr<artery::ClusterBus> open_bus(const NatsCluster& nats, std::string& error) {
  std::string servers;
  for (const auto& url : nats.urls()) servers += (servers.empty() ? "" : ",") + url;
  return artery::nats::open_cluster_bus(nats_test::options({{"servers", servers}}), "artery bus test", "/",
                                        [](artery::LogLevel, std::string_view) {}, error);
}

}  // namespace

TEST_CASE("cluster bus: publish to a wildcard subscription, request and reply, no responders, timeout",
          "[nats][cluster]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  std::string error;
  auto a = open_bus(nats, error);
  INFO(error);
  REQUIRE(a);
  auto b = open_bus(nats, error);
  REQUIRE(b);
  CHECK(a->max_payload() > 0);

  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> heard;
  auto sub = b->subscribe(
      "artery.view.snapshot.*",
      [&](std::string_view subject, std::string_view data, const std::string&) {
        std::lock_guard lock(mutex);
        heard.emplace_back(std::string(subject), std::string(data));
      },
      error);
  REQUIRE(sub);
  auto echo = b->subscribe(
      "artery.view.search.node2",
      [&](std::string_view, std::string_view data, const std::string& reply) {
        std::string problem;
        b->publish(reply, "answer to " + std::string(data), problem);
      },
      error);
  REQUIRE(echo);
  // Subscriptions reach the server before the publishes below (a round trip on b).
  REQUIRE(b->request("artery.view.search.node2", "warm", std::chrono::seconds(2), error));

  REQUIRE(a->publish("artery.view.snapshot.node1", "{\"node\":\"node1\"}", error));
  REQUIRE(a->publish("artery.view.snapshot.node3", "{\"node\":\"node3\"}", error));
  CHECK(eventually([&] {
    std::lock_guard lock(mutex);
    return heard.size() == 2;
  }, std::chrono::seconds(5)));
  {
    std::lock_guard lock(mutex);
    CHECK(heard[0].first == "artery.view.snapshot.node1");
    CHECK(heard[1].second == "{\"node\":\"node3\"}");
  }

  auto answer = a->request("artery.view.search.node2", "q", std::chrono::seconds(2), error);
  REQUIRE(answer);
  CHECK(*answer == "answer to q");
  // Nobody listens: said at once, not after the timeout.
  const auto began = std::chrono::steady_clock::now();
  CHECK_FALSE(a->request("artery.view.search.nobody", "q", std::chrono::seconds(5), error));
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(4));
  CHECK(error.find("nobody") != std::string::npos);

  // A responder that never answers: the request times out.
  auto silent = b->subscribe("artery.view.search.silent", [](std::string_view, std::string_view, const std::string&) {},
                             error);
  REQUIRE(silent);
  REQUIRE(b->request("artery.view.search.node2", "sync", std::chrono::seconds(2), error));
  CHECK_FALSE(a->request("artery.view.search.silent", "q", std::chrono::milliseconds(300), error));
  CHECK(error.find("no answer within 300 ms") != std::string::npos);
}

TEST_CASE("cluster bus: destroying a subscription waits for its running handler, which is not called again",
          "[nats][cluster]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  std::string error;
  auto bus = open_bus(nats, error);
  REQUIRE(bus);
  std::atomic<bool> inside{false}, finished{false};
  std::atomic<int> calls{0};
  auto sub = bus->subscribe(
      "slow",
      [&](std::string_view, std::string_view, const std::string&) {
        ++calls;
        inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        finished = true;
      },
      error);
  REQUIRE(sub);
  REQUIRE(bus->request("nobody.here", "", std::chrono::milliseconds(500), error) == std::nullopt);  // a round trip
  REQUIRE(bus->publish("slow", "1", error));
  REQUIRE(eventually([&] { return inside.load(); }, std::chrono::seconds(5)));
  sub.reset();
  CHECK(finished);  // the destructor returned only after the handler did
  REQUIRE(bus->publish("slow", "2", error));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(calls == 1);
}

TEST_CASE("cluster bus: bad settings are refused with the key", "[nats][cluster]") {
  std::string error;
  auto bus = artery::nats::open_cluster_bus(nats_test::options({{"servers", "http://127.0.0.1:1"}}), "x", "/",
                                            [](artery::LogLevel, std::string_view) {}, error);
  CHECK_FALSE(bus);
  CHECK(error.find("servers") != std::string::npos);
}
