// Clustered channels the way a user runs them (docs/cluster.md): one channel
// YAML with `cluster:`, checked by `artery validate`, then three `artery run`
// processes (each its own artery.yaml naming its node, its data folder, MLLP
// and admin ports) on a 3-server NATS JetStream cluster, MLLP senders on
// every node. A node is SIGKILLed mid-stream, later a NATS server: every
// message that got an AA must be delivered (duplicates allowed and counted),
// nothing may stay in the work queue or a delivery queue, and the killed node
// must take work again once restarted.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"
#include "support/nats_cluster.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using artery::testing::EngineProcess;
using artery::testing::eventually;
using artery::testing::hl7_message;
using artery::testing::MllpClient;
using artery::testing::NatsCluster;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPassword = "the cluster test's admin password";

// One engine node: its folder with artery.yaml, channels/ and data/.
struct Node {
  std::string name;
  fs::path dir;
  int mllp_port = artery::testing::free_port();
  int http_port = artery::testing::free_port();
  std::unique_ptr<EngineProcess> process;
  int runs = 0;
  std::string cookie;

  void start() {
    ::setenv("ARTERY_ADMIN_PASSWORD", kPassword, 1);
    process = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string()},
        dir / ("engine-" + std::to_string(++runs) + ".log"));
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
  }
  bool wait_started() {
    if (!process->wait_for_log("running 1 of 1 channels", std::chrono::seconds(30))) return false;
    if (!process->wait_for_log("admin API and console on", std::chrono::seconds(10))) return false;
    auto login = artery::testing::http_post_json(http_port, "/api/login",
                                                 std::string(R"({"user":"admin","password":")") + kPassword + "\"}");
    if (login.status != 200) return false;
    cookie = login.header("set-cookie").substr(0, login.header("set-cookie").find(';'));
    return true;
  }
  // The channel's counters as the node's admin API reports them.
  boost::json::object channel() const {
    auto reply = artery::testing::http_get(http_port, "/api/channels/lab", {{"Cookie", cookie}});
    if (reply.status != 200) return {};
    return boost::json::parse(reply.body).as_object();
  }
};

std::string channel_yaml(const Node& node, const fs::path& out) {
  return "name: lab\n"
         "source:\n"
         "  type: mllp\n"
         "  listen: 127.0.0.1:" +
         std::to_string(node.mllp_port) +
         "\n"
         "script: lab.lua\n"
         "cluster:\n"
         "  stream: LAB_WORK\n"
         "  replicas: 3\n"
         "  ack_wait: 3s\n"
         "  max_deliver: -1\n"
         "  batch: 4\n"
         "destinations:\n"
         "  - name: delivered\n"
         "    type: file\n"
         "    directory: " +
         out.string() +
         "\n"
         "    filename: " +
         node.name +
         ".txt\n"
         "    mode: append\n";
}

// Each delivered message becomes one line, its control id, in the file of
// the node that delivered it.
constexpr const char* kScript =
    "local M = {}\n"
    "function M.transform(msg, ctx) return msg:get('MSH-10') .. '\\n' end\n"
    "return M\n";

std::string engine_yaml(const Node& node, const NatsCluster& nats) {
  return "channels: channels\n"
         "data: data\n"
         "http: 127.0.0.1:" +
         std::to_string(node.http_port) +
         "\n"
         "cluster:\n"
         "  node: " +
         node.name +
         "\n"
         "  servers: " +
         nats.urls_yaml() +
         "\n"
         "  reconnect_wait: 100ms\n"
         "  max_reconnect_wait: 500ms\n"
         "  request_timeout: 2s\n";
}

std::map<std::string, int> delivered_counts(const fs::path& out) {
  std::map<std::string, int> counts;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(out, ec)) {
    std::istringstream lines(artery::testing::read_text(file.path()));
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) ++counts[line];
  }
  return counts;
}

// Messages in the work-queue stream, from a running NATS server's /jsz.
std::int64_t stream_messages(const NatsCluster& nats, const std::string& stream) {
  for (std::size_t i = 0; i < nats.size(); ++i) {
    if (!nats.running(i)) continue;
    auto reply = artery::testing::http_get(nats.monitor_port(i), "/jsz?streams=true");
    if (reply.status != 200) continue;
    auto root = boost::json::parse(reply.body).as_object();
    auto* accounts = root.if_contains("account_details");
    if (!accounts || !accounts->is_array()) continue;
    for (const auto& account : accounts->as_array()) {
      auto* streams = account.as_object().if_contains("stream_detail");
      if (!streams || !streams->is_array()) continue;
      for (const auto& s : streams->as_array())
        if (s.as_object().at("name").as_string() == stream)
          return s.as_object().at("state").as_object().at("messages").to_number<std::int64_t>();
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("cluster: 3 nodes, 4 senders, a node SIGKILLed, then a NATS server: every AA delivered, the node rejoins",
          "[cluster][nats]") {
  NatsCluster nats(3);
  REQUIRE(nats.wait_ready());
  TempDir root("artery-cluster");
  const fs::path out = root / "out";
  fs::create_directories(out);
  std::vector<Node> nodes(3);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Node& node = nodes[i];
    node.name = "node" + std::to_string(i + 1);
    node.dir = root / node.name;
    artery::testing::write_text(node.dir / "artery.yaml", engine_yaml(node, nats));
    artery::testing::write_text(node.dir / "channels/lab.yaml", channel_yaml(node, out));
    artery::testing::write_text(node.dir / "channels/lab.lua", kScript);
  }

  // The user's path: the files validate before anything runs.
  std::string output;
  const int validated = artery::testing::run_artery(
      {"validate", "--config", (nodes[0].dir / "artery.yaml").string()}, output);
  INFO(output);
  REQUIRE(validated == 0);

  // Node 1 first: it creates the replicated stream. Three nodes creating it
  // at once on a loaded machine can time out on JetStream's side (seen in CI:
  // "cannot create stream LAB_WORK: Timeout"), and that node then does not start.
  auto wait_up = [](Node& node) {
    const bool up = node.wait_started();
    INFO(node.name << ":\n" << node.process->log());
    REQUIRE(up);
  };
  nodes[0].start();
  wait_up(nodes[0]);
  nodes[1].start();
  nodes[2].start();
  wait_up(nodes[1]);
  wait_up(nodes[2]);

  // 4 senders over the 3 nodes' ports. A sender whose node stops answering
  // sends the same message again to the next node, as a real sender would.
  std::mutex acked_mutex;
  std::set<std::string> acked;
  std::atomic<int> acked_count{0};
  std::atomic<bool> node_dead{false};
  constexpr int kSenders = 4;
  constexpr int kPerSender = 120;
  auto sender = [&](int s) {
    std::size_t at = static_cast<std::size_t>(s) % nodes.size();
    std::unique_ptr<MllpClient> client;
    for (int n = 0; n < kPerSender; ++n) {
      const std::string id = "S" + std::to_string(s) + "-" + std::to_string(n);
      for (int attempt = 0; attempt < 20; ++attempt) {
        if (node_dead && at == 1) at = 2;
        if (!client) client = std::make_unique<MllpClient>(nodes[at].mllp_port, 15);
        const std::string answer = client->ok() ? client->exchange(hl7_message(id)) : std::string();
        if (answer.find("MSA|AA|" + id) != std::string::npos) {
          std::lock_guard lock(acked_mutex);
          acked.insert(id);
          ++acked_count;
          break;
        }
        client.reset();  // no answer, a refusal or a negative ACK: again, on the next node
        at = (at + 1) % nodes.size();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  };
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) senders.emplace_back(sender, s);

  // Mid-stream: node 2 dies without a word, holding pulled, stored and queued messages.
  REQUIRE(eventually([&] { return acked_count >= kSenders * kPerSender / 3; }, std::chrono::seconds(60)));
  node_dead = true;
  CHECK(nodes[1].process->stop(SIGKILL) == 128 + SIGKILL);
  // Later: one NATS server too (the stream keeps a quorum of 2 of 3).
  REQUIRE(eventually([&] { return acked_count >= kSenders * kPerSender * 2 / 3; }, std::chrono::seconds(60)));
  nats.kill(2);
  for (auto& t : senders) t.join();
  const double send_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  CHECK(acked.size() == kSenders * kPerSender);

  // Every AA is delivered, by the survivors (the dead node's pulled messages
  // come back to them after ack_wait).
  auto all_delivered = [&] {
    const auto counts = delivered_counts(out);
    for (const auto& id : acked)
      if (!counts.count(id)) return false;
    return true;
  };
  const bool delivered = eventually(all_delivered, std::chrono::seconds(30));
  {
    const auto counts = delivered_counts(out);
    std::size_t missing = 0;
    for (const auto& id : acked) missing += counts.count(id) ? 0 : 1;
    INFO("missing " << missing << "\nnode1:\n" << nodes[0].process->log() << "\nnode3:\n" << nodes[2].process->log());
    CHECK(delivered);
  }

  // The killed node comes back on its folders and takes work again: new
  // messages (sent to node 1) are processed by it too.
  // (The NATS server first: a node starting while a stream's server is down
  // can time out creating-or-checking the stream and refuse to start.)
  nats.start(2);
  REQUIRE(nats.wait_ready());
  nodes[1].start();
  {
    const bool up = nodes[1].wait_started();
    INFO(nodes[1].process->log());
    REQUIRE(up);
  }
  const auto rejoined_before = artery::testing::count_lines(out / "node2.txt");
  std::set<std::string> late;
  {
    MllpClient client(nodes[0].mllp_port, 15);
    for (int n = 0; n < 200 && artery::testing::count_lines(out / "node2.txt") == rejoined_before; ++n) {
      const std::string id = "LATE-" + std::to_string(n);
      if (client.exchange(hl7_message(id)).find("MSA|AA|" + id) != std::string::npos) late.insert(id);
      if (n % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  CHECK(eventually([&] { return artery::testing::count_lines(out / "node2.txt") > rejoined_before; },
                   std::chrono::seconds(10)));

  // At the end nothing is pending: the work queue is empty and no node has
  // a delivery queued; every message, late ones too, was delivered.
  const bool drained = eventually(
      [&] {
        if (stream_messages(nats, "LAB_WORK") != 0) return false;
        for (const auto& node : nodes) {
          auto channel = node.channel();
          if (channel.empty() || channel.at("counters").as_object().at("queued").to_number<std::int64_t>() != 0)
            return false;
        }
        const auto counts = delivered_counts(out);
        for (const auto& id : late)
          if (!counts.count(id)) return false;
        return all_delivered();
      },
      std::chrono::seconds(30));
  const auto counts = delivered_counts(out);
  std::size_t duplicates = 0, extra = 0;
  for (const auto& [id, times] : counts) {
    if (times > 1) ++duplicates;
    if (!acked.count(id) && !late.count(id)) ++extra;  // sent, not acknowledged, delivered all the same
  }
  std::map<std::string, std::size_t> per_node;
  for (const auto& node : nodes) per_node[node.name] = artery::testing::count_lines(out / (node.name + ".txt"));
  std::cout << "cluster test: " << acked.size() << " acknowledged in " << send_seconds << " s by 4 senders, "
            << late.size() << " sent after the restart; delivered more than once: " << duplicates
            << "; delivered without an AA: " << extra << "; deliveries per node: node1 " << per_node["node1"]
            << ", node2 " << per_node["node2"] << ", node3 " << per_node["node3"] << "\n";
  INFO("stream messages: " << stream_messages(nats, "LAB_WORK"));
  CHECK(drained);
  for (auto& node : nodes) CHECK(node.process->stop(SIGTERM) == 0);
}
