// The nats plugin the way a user reaches it: channel YAML -> `artery run` ->
// MLLP senders and NATS publishers on loopback, against nats-server
// processes started by the rig. Checks the streams with the plugin's own
// NATS library, and the store through the admin API.
#include "jetstream_publisher.hpp"
#include "jetstream_setup.hpp"
#include "nats_test_support.hpp"
#include "pull_consumer.hpp"

#include "support/mllp_client.hpp"

#include <nats/nats.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace artery::nats;
using artery::testing::eventually;
using artery::testing::hl7_message;
using artery::testing::MllpClient;
using artery::testing::NatsCluster;
using nats_test::AdminEngine;
using nats_test::client;
using nats_test::stream_messages;
namespace fs = std::filesystem;

namespace {

std::string mllp_to_nats_channel(int mllp_port, const NatsCluster& nats, const std::string& extra = "") {
  return "name: to-nats\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(mllp_port) +
         "\ndestinations:\n  - name: bus\n    type: nats\n    servers: " + nats.urls_yaml() +
         "\n    subject: lab.results\n    stream: LAB\n    create: true\n    publish_timeout: 2s\n"
         "    reconnect_wait: 100ms\n    max_reconnect_wait: 500ms\n" +
         extra + "    retry: {max: 100, initial: 100ms, max_delay: 500ms}\n";
}

// The Nats-Msg-Id of every message in the stream, by sequence.
std::vector<std::string> stream_msg_ids(NatsConnection& c, const std::string& stream) {
  StreamState state;
  std::string error;
  std::vector<std::string> ids;
  if (!read_stream_state(c, stream, state, error)) return ids;
  for (auto seq = state.first_sequence; seq != 0 && seq <= state.last_sequence; ++seq) {
    natsMsg* msg = nullptr;
    if (js_GetMsg(&msg, c.jetstream(), stream.c_str(), seq, nullptr, nullptr) != NATS_OK) continue;
    const char* id = nullptr;
    natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
    ids.emplace_back(id ? id : "");
    natsMsg_Destroy(msg);
  }
  return ids;
}

std::map<std::string, int> line_counts(const fs::path& file) {
  std::map<std::string, int> counts;
  std::istringstream lines(fs::exists(file) ? artery::testing::read_text(file) : std::string());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) ++counts[line];
  return counts;
}

}  // namespace

TEST_CASE("MLLP -> channel -> nats destination: every AA is in the stream once, also across a NATS outage",
          "[nats][engine]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  AdminEngine e;
  const int port = artery::testing::free_port();
  e.channel("to-nats", mllp_to_nats_channel(port, nats));
  e.start("running 1 of 1 channels");
  auto c = client(nats);
  {
    MllpClient sender(port);
    for (int i = 0; i < 20; ++i)
      REQUIRE(sender.exchange(hl7_message("LAB-" + std::to_string(i))).find("MSA|AA|LAB-") != std::string::npos);
  }
  REQUIRE(eventually([&] { return stream_messages(*c, "LAB") == 20; }, std::chrono::seconds(15)));

  // NATS goes away: the engine keeps acknowledging (the deliveries wait in
  // its queue) and publishes them once NATS is back.
  nats.stop(0);
  {
    MllpClient sender(port);
    for (int i = 20; i < 30; ++i)
      REQUIRE(sender.exchange(hl7_message("LAB-" + std::to_string(i))).find("MSA|AA|LAB-") != std::string::npos);
  }
  nats.start(0);
  REQUIRE(nats.wait_ready());
  c = client(nats);
  const bool all = eventually([&] { return stream_messages(*c, "LAB") >= 30; }, std::chrono::seconds(30));
  INFO(e.engine->log());
  CHECK(all);
  const auto ids = stream_msg_ids(*c, "LAB");
  const std::set<std::string> distinct(ids.begin(), ids.end());
  CHECK(ids.size() == 30);
  CHECK(distinct.size() == 30);
  CHECK(distinct.count("to-nats/bus/1") == 1);
  auto channel = e.get("/api/channels/to-nats").as_object();
  CHECK(channel.at("state").as_string() == "started");
  CHECK(e.engine->stop(SIGTERM) == 0);
}

TEST_CASE("nats source -> file: acknowledged only once stored, so a SIGKILL loses nothing", "[nats][engine]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  AdminEngine e;
  e.channel("from-nats",
            "name: from-nats\nsource:\n  type: nats\n  servers: " + nats.urls_yaml() +
                "\n  stream: ORDERS\n  filter_subject: orders.new\n  create: true\n  data_type: text\n"
                "  ack_wait: 5s\n  batch: 50\ndestinations:\n  - name: ids\n    type: file\n    directory: " +
                (e.dir / "out").string() +
                "\n    filename: ids.txt\n    mode: append\n    atomic: false\n    separator: \"\\n\"\n");
  auto c = client(nats);
  std::string error;
  StreamSettings stream;
  stream.name = "ORDERS";
  stream.subjects = {"orders.new"};
  REQUIRE(ensure_stream(*c, stream, error));
  // Published while the engine consumes, is killed, and comes back.
  constexpr int kMessages = 8000;
  std::atomic<int> published{0};
  std::thread publisher([&] {
    auto own = client(nats);
    for (int i = 0; i < kMessages; ++i) {
      if (publish_to_stream(*own, "orders.new", "ORD-" + std::to_string(i), "", {}, "ORDERS",
                            std::chrono::seconds(5))
              .status != PublishOutcome::Status::stored)
        return;
      ++published;
      // About 2,000 a second: the stream lasts a few seconds, so the kill
      // lands in the middle of it whatever the machine's speed.
      if (i % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const fs::path out = e.dir / "out/ids.txt";
  e.start("consuming stream ORDERS");
  REQUIRE(eventually([&] { return artery::testing::count_lines(out) >= 1500; }, std::chrono::seconds(30)));
  e.engine->stop(SIGKILL);
  const std::size_t before_kill = artery::testing::count_lines(out);
  const int published_at_kill = published;

  e.start("consuming stream ORDERS");
  publisher.join();
  REQUIRE(published == kMessages);
  CHECK(published_at_kill < kMessages);  // killed mid-stream
  std::map<std::string, int> counts;
  const bool complete = eventually(
      [&] {
        counts = line_counts(out);
        return counts.size() == static_cast<std::size_t>(kMessages);
      },
      std::chrono::seconds(60));
  int duplicates = 0;
  for (const auto& [id, n] : counts) duplicates += n - 1;
  std::cout << "nats source SIGKILL: " << kMessages << " published (" << published_at_kill << " at the kill), "
            << before_kill << " written before the kill, " << counts.size() << " distinct delivered, " << duplicates
            << " delivered more than once\n";
  INFO(e.engine->log());
  CHECK(complete);
  for (int i = 0; i < kMessages; ++i) CHECK(counts.count("ORD-" + std::to_string(i)) == 1);
  // Nothing left pending: every message was acknowledged (work queue: removed).
  ConsumerState consumer;
  CHECK(eventually(
      [&] {
        return read_consumer_state(*c, "ORDERS", "artery-from-nats", consumer, error) && consumer.pending == 0 &&
               consumer.ack_pending == 0;
      },
      std::chrono::seconds(15)));
  CHECK(eventually([&] { return stream_messages(*c, "ORDERS") == 0; }, std::chrono::seconds(10)));
  CHECK(e.engine->stop(SIGTERM) == 0);
}

TEST_CASE("a message on its max_deliver-th delivery is stored as ERROR, terminated, not redelivered",
          "[nats][engine]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  auto c = client(nats);
  std::string error;
  StreamSettings stream;
  stream.name = "POISON";
  stream.subjects = {"poison.>"};
  ConsumerSettings consumer;
  consumer.durable = "artery-poison";
  consumer.ack_wait = std::chrono::seconds(1);
  consumer.max_deliver = 2;
  REQUIRE(ensure_stream(*c, stream, error));
  REQUIRE(ensure_consumer(*c, "POISON", consumer, error));
  REQUIRE(publish_to_stream(*c, "poison.x", "the poison message", "p-1", {}, "POISON", std::chrono::seconds(5))
              .status == PublishOutcome::Status::stored);
  {
    // A node that took it and died without acknowledging: delivery 1 of 2.
    auto pull = PullConsumer::bind(*c, "POISON", "artery-poison", error);
    REQUIRE(pull);
    auto taken = pull->fetch(1, std::chrono::seconds(2), error);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0]->deliveries() == 1);
  }
  AdminEngine e;
  e.channel("poison", "name: poison\nsource:\n  type: nats\n  servers: " + nats.urls_yaml() +
                          "\n  stream: POISON\n  durable: artery-poison\n  data_type: text\n"
                          "destinations:\n  - name: out\n    type: file\n    directory: " +
                          (e.dir / "out").string() + "\n    filename: poison.txt\n");
  e.start("consuming stream POISON");
  REQUIRE(e.engine->wait_for_log("recorded as ERROR", std::chrono::seconds(15)));
  boost::json::array messages;
  REQUIRE(eventually(
      [&] {
        messages = e.get("/api/messages?channel=poison").as_object().at("messages").as_array();
        return !messages.empty();
      },
      std::chrono::seconds(10)));
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].as_object().at("state").as_string() == "ERROR");
  const auto id = messages[0].as_object().at("id").as_int64();
  const auto detail = e.get("/api/messages/" + std::to_string(id));
  const std::string text = boost::json::serialize(detail);
  INFO(text);
  CHECK(text.find("delivered 2 times by stream POISON") != std::string::npos);
  CHECK(text.find("the poison message") != std::string::npos);  // kept, reprocessable
  // Never processed, never sent.
  CHECK_FALSE(fs::exists(e.dir / "out/poison.txt"));
  // Terminated: after more than ack_wait nothing is pending and nothing came again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ConsumerState state;
  REQUIRE(read_consumer_state(*c, "POISON", "artery-poison", state, error));
  CHECK(state.ack_pending == 0);
  CHECK(state.pending == 0);
  CHECK(e.get("/api/messages?channel=poison").as_object().at("messages").as_array().size() == 1);
  CHECK(e.engine->stop(SIGTERM) == 0);
}

TEST_CASE("a nats source with wrong credentials fails its channel with the reason", "[nats][engine]") {
  NatsCluster nats(1, "authorization { user: artery, password: right-password }");
  REQUIRE(nats.wait_ready());
  AdminEngine e;
  e.channel("bad-auth", "name: bad-auth\nsource:\n  type: nats\n  servers: " + nats.urls_yaml() +
                            "\n  stream: ORDERS\n  user: artery\n  password: wrong-password\n");
  // Another channel starts, so the engine runs on to be asked.
  e.channel("other", "name: other\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                         std::to_string(artery::testing::free_port()) + "\n");
  e.start("running 1 of 2 channels");
  const std::string log = e.engine->log();
  INFO(log);
  CHECK(log.find("ERROR [bad-auth] not started: source (nats): cannot connect to NATS (" + nats.url(0) +
                 "): authorization failed") != std::string::npos);
  auto channel = e.get("/api/channels/bad-auth").as_object();
  CHECK(channel.at("state").as_string() == "failed");
  CHECK(std::string(channel.at("reason").as_string()).find("check user/password") != std::string::npos);
  CHECK(e.engine->stop(SIGTERM) == 0);
}

TEST_CASE("3 NATS servers, a replicas-3 stream: one server killed, the channel keeps publishing",
          "[nats][engine][cluster]") {
  NatsCluster nats(3);
  REQUIRE(nats.wait_ready());
  AdminEngine e;
  const int port = artery::testing::free_port();
  e.channel("to-nats", mllp_to_nats_channel(port, nats, "    replicas: 3\n"));
  e.start("running 1 of 1 channels");
  auto c = client(nats);
  auto send = [&](int from, int to) {
    MllpClient sender(port);
    for (int i = from; i < to; ++i)
      REQUIRE(sender.exchange(hl7_message("HA-" + std::to_string(i))).find("MSA|AA|HA-") != std::string::npos);
  };
  send(0, 30);
  REQUIRE(eventually([&] { return stream_messages(*c, "LAB") == 30; }, std::chrono::seconds(20)));
  StreamState state;
  std::string error;
  REQUIRE(read_stream_state(*c, "LAB", state, error));
  CHECK(state.replicas == 3);
  std::size_t leader = 0;
  for (std::size_t i = 0; i < nats.size(); ++i)
    if (nats.name(i) == state.leader) leader = i;
  nats.kill(leader);
  send(30, 60);
  const bool all = eventually([&] { return stream_messages(*c, "LAB") == 60; }, std::chrono::seconds(40));
  INFO(e.engine->log());
  CHECK(all);
  const auto ids = stream_msg_ids(*c, "LAB");
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 60);
  CHECK(e.engine->stop(SIGTERM) == 0);
}

TEST_CASE("partitions: a poison message at the head of a partition is ERROR after max_deliver, then the partition "
          "goes on in order",
          "[nats][engine][partitions]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  auto c = client(nats);
  std::string error;
  StreamSettings stream;
  stream.name = "WARD";
  stream.subjects = {"ward.*"};
  ConsumerSettings consumer;  // partition 0 as the source below makes it
  consumer.durable = "artery-ward-p0";
  consumer.filter_subject = "ward.0";
  consumer.ack_wait = std::chrono::seconds(1);
  consumer.max_deliver = 2;
  consumer.max_ack_pending = 1;
  REQUIRE(ensure_stream(*c, stream, error));
  REQUIRE(ensure_consumer(*c, "WARD", consumer, error));
  auto publish = [&](const std::string& subject, const std::string& text) {
    REQUIRE(publish_to_stream(*c, subject, text + "\n", text, {}, "WARD", std::chrono::seconds(5)).status ==
            PublishOutcome::Status::stored);
  };
  for (const char* text : {"p0-1", "p0-2", "p0-3", "p0-4"}) publish("ward.0", text);
  publish("ward.1", "p1-1");
  {
    // A node that took partition 0's head and died without acknowledging: delivery 1 of 2.
    auto pull = PullConsumer::bind(*c, "WARD", "artery-ward-p0", error);
    REQUIRE(pull);
    auto taken = pull->fetch(1, std::chrono::seconds(2), error);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0]->data() == "p0-1\n");
  }
  AdminEngine e;
  e.channel("ward", "name: ward\nsource:\n  type: nats\n  servers: " + nats.urls_yaml() +
                        "\n  stream: WARD\n  filter_subject: ward\n  partitions: 2\n  create: true\n"
                        "  ack_wait: 1s\n  max_deliver: 2\n  data_type: text\n"
                        "destinations:\n  - name: out\n    type: file\n    directory: " +
                        (e.dir / "out").string() + "\n    filename: ward.txt\n    mode: append\n");
  e.start("consuming stream WARD as artery-ward-p0 .. artery-ward-p1 (2 partitions");
  REQUIRE(e.engine->wait_for_log("recorded as ERROR", std::chrono::seconds(15)));
  auto partition0 = [&] {
    std::vector<std::string> lines;
    std::istringstream text(fs::exists(e.dir / "out/ward.txt") ? artery::testing::read_text(e.dir / "out/ward.txt")
                                                               : std::string());
    for (std::string line; std::getline(text, line);)
      if (line.rfind("p0-", 0) == 0) lines.push_back(line);
    return lines;
  };
  const std::vector<std::string> expected{"p0-2", "p0-3", "p0-4"};
  CHECK(eventually([&] { return partition0() == expected; }, std::chrono::seconds(10)));
  CHECK(partition0() == expected);  // the poison message never processed, the rest in stream order
  CHECK(line_counts(e.dir / "out/ward.txt")["p1-1"] == 1);  // partition 1 was never held up
  // The poison message is kept as ERROR; nothing is left pending on either partition.
  const auto messages = e.get("/api/messages?channel=ward&status=ERROR").as_object().at("messages").as_array();
  CHECK(messages.size() == 1);
  for (const char* durable : {"artery-ward-p0", "artery-ward-p1"}) {
    ConsumerState state;
    REQUIRE(read_consumer_state(*c, "WARD", durable, state, error));
    INFO(durable);
    CHECK(state.ack_pending == 0);
    CHECK(state.pending == 0);
  }
  CHECK(e.engine->stop(SIGTERM) == 0);
}
