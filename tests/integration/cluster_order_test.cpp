// `order: per-key` on a clustered channel the way a user runs it
// (docs/cluster.md): one channel YAML, checked by `artery validate`, three
// `artery run` nodes on a 3-server NATS JetStream cluster, MLLP senders. Each
// patient's messages are sent one after the other (the next only once the
// previous one's AA is back), each to another node. Every node delivers to
// one HTTP receiver in this process, so the arrival order across the nodes is
// one timeline. Mid-stream the receiver holds a request from node 2, that is
// node 2 holds that message's partition, and node 2 is SIGKILLed while it
// holds it: the message must come back (after ack_wait, from another node)
// before anything later of its partition.
//
// What is asserted, per patient: the sequence of first arrivals (each
// message's repeats dropped, its first arrival kept) is exactly the order of
// the AAs; every AA'd message arrived; the message node 2 held arrived again;
// the work queue is empty at the end. Repeats are counted and printed, as is
// any repeat that came after a later message's first arrival (none is
// expected while no node restarts and no node stalls longer than ack_wait,
// but that is not what the guarantee promises, so it is not asserted).
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"
#include "support/nats_cluster.hpp"

#include <artery/hl7.hpp>
#include <artery/http_server.hpp>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

using artery::testing::EngineProcess;
using artery::testing::eventually;
using artery::testing::MllpClient;
using artery::testing::NatsCluster;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr int kPatients = 8;
constexpr int kPerPatient = 60;
constexpr int kPartitions = 4;  // fewer than patients: partitions are shared by several patients

std::string control_id(int patient, int n) { return "P" + std::to_string(patient) + "-" + std::to_string(n); }

std::string adt(int patient, int n) {
  return "MSH|^~\\&|PAS|HOSP|ARTERY|HOSP|20261201120000||ADT^A08|" + control_id(patient, n) +
         "|P|2.5\rPID|1||PAT" + std::to_string(patient) + "^^^HOSP^MR||DOE^PAT" + std::to_string(patient) + "\r";
}

// The one receiver every node delivers to (a webhook per node, /<node>): the
// order requests arrive in is the delivery order across the cluster. It can
// hold the next request of one node unanswered, to kill that node while it
// holds a partition.
class OrderReceiver {
 public:
  struct Arrival {
    std::string node, control_id;
    std::chrono::steady_clock::time_point at;
  };

  explicit OrderReceiver(int port) : port_(port) {
    artery::HttpRouter router;
    router.add("POST", "/{node}", [this](const artery::HttpRequest& request) { return receive(request); });
    artery::HttpServerOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.handler_threads = 16;  // 3 nodes x 4 partitions in flight at most, and the held one
    server_ = std::make_unique<artery::HttpServer>(options, std::move(router));
    std::string error;
    if (!server_->start(error)) throw std::runtime_error("order receiver: " + error);
  }
  ~OrderReceiver() {
    release();
    server_->stop();
  }

  int port() const { return port_; }
  void hold_next_from(const std::string& node) {
    std::lock_guard lock(mutex_);
    hold_from_ = node;
  }
  std::optional<std::string> holding() const {
    std::lock_guard lock(mutex_);
    return holding_;
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

 private:
  artery::HttpResponse receive(const artery::HttpRequest& request) {
    std::string node;
    for (const auto& [name, value] : request.path_params)
      if (name == "node") node = value;
    auto message = artery::hl7::Message::parse(request.body);
    const std::string id = message ? message->get("MSH-10") : std::string("unreadable");
    std::unique_lock lock(mutex_);
    arrivals_.push_back({node, id, std::chrono::steady_clock::now()});
    if (!hold_from_.empty() && node == hold_from_) {
      hold_from_.clear();
      holding_ = id;
      // Unanswered until the test has killed the node (its delivery never
      // finishes, so it never acknowledges the message to JetStream).
      cv_.wait_for(lock, std::chrono::seconds(60), [&] { return released_; });
    }
    return artery::HttpResponse::json(200, "{\"ok\":true}");
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Arrival> arrivals_;
  std::string hold_from_;
  std::optional<std::string> holding_;
  bool released_ = false;
  int port_;
  std::unique_ptr<artery::HttpServer> server_;
};

struct Node {
  std::string name;
  fs::path dir;
  int mllp_port = artery::testing::free_port();
  int http_port = artery::testing::free_port();
  std::unique_ptr<EngineProcess> process;

  void start() {
    process = std::make_unique<EngineProcess>(std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string()},
                                              dir / "engine.log");
  }
  bool wait_started() const { return process->wait_for_log("running 1 of 1 channels", std::chrono::seconds(30)); }
};

std::string channel_yaml(const Node& node, int receiver_port) {
  return "name: adt\n"
         "source:\n"
         "  type: mllp\n"
         "  listen: 127.0.0.1:" + std::to_string(node.mllp_port) + "\n"
         "cluster:\n"
         "  order: per-key\n"
         "  key: PID-3.1\n"
         "  partitions: " + std::to_string(kPartitions) + "\n"
         "  replicas: 3\n"
         "  ack_wait: 4s\n"
         "  max_deliver: -1\n"
         "destinations:\n"
         "  - name: receiver\n"
         "    type: webhook\n"
         "    url: http://127.0.0.1:" + std::to_string(receiver_port) + "/" + node.name + "\n"
         "    timeout: 60s\n";
}

std::string engine_yaml(const Node& node, const NatsCluster& nats) {
  return "channels: channels\n"
         "data: data\n"
         "http: 127.0.0.1:" + std::to_string(node.http_port) + "\n"
         "cluster:\n"
         "  node: " + node.name + "\n"
         "  servers: " + nats.urls_yaml() + "\n"
         "  reconnect_wait: 100ms\n"
         "  max_reconnect_wait: 500ms\n"
         "  request_timeout: 2s\n";
}

// Messages in a stream, from a running NATS server's /jsz (-1: not found).
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

// "P3-17" -> {3, 17}.
std::pair<int, int> patient_and_index(const std::string& id) {
  const auto dash = id.find('-');
  return {std::stoi(id.substr(1, dash - 1)), std::stoi(id.substr(dash + 1))};
}

}  // namespace

TEST_CASE("cluster order per-key: each patient's messages delivered in AA order, across the death of the node "
          "holding the partition",
          "[cluster][nats][order]") {
  NatsCluster nats(3);
  REQUIRE(nats.wait_ready());
  TempDir root("artery-cluster-order");
  OrderReceiver receiver(artery::testing::free_port());
  std::vector<Node> nodes(3);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Node& node = nodes[i];
    node.name = "node" + std::to_string(i + 1);
    node.dir = root / node.name;
    artery::testing::write_text(node.dir / "artery.yaml", engine_yaml(node, nats));
    artery::testing::write_text(node.dir / "channels/adt.yaml", channel_yaml(node, receiver.port()));
  }
  std::string output;
  const int validated =
      artery::testing::run_artery({"validate", "--config", (nodes[0].dir / "artery.yaml").string()}, output);
  INFO(output);
  REQUIRE(validated == 0);

  for (auto& node : nodes) node.start();
  for (auto& node : nodes) {
    const bool up = node.wait_started();
    INFO(node.name << ":\n" << node.process->log());
    REQUIRE(up);
  }

  // One sender per patient. Message n goes to node (patient + n) % 3, so a
  // patient's consecutive messages enter the cluster on different nodes; one
  // that gets no AA (its node died) is sent again to the next node.
  std::atomic<int> acked{0};
  std::atomic<bool> node2_dead{false};
  std::vector<int> acked_per_patient(kPatients, 0);
  auto sender = [&](int patient) {
    for (int n = 0; n < kPerPatient; ++n) {
      std::size_t at = static_cast<std::size_t>(patient + n) % nodes.size();
      for (int attempt = 0; attempt < 20; ++attempt, at = (at + 1) % nodes.size()) {
        if (node2_dead && at == 1) at = 2;
        MllpClient client(nodes[at].mllp_port, 15);
        const std::string id = control_id(patient, n);
        if (client.ok() && client.exchange(adt(patient, n)).find("MSA|AA|" + id) != std::string::npos) {
          ++acked_per_patient[static_cast<std::size_t>(patient)];
          ++acked;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (acked_per_patient[static_cast<std::size_t>(patient)] != n + 1) return;  // no AA: stop, the check says so
    }
  };
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> senders;
  for (int p = 0; p < kPatients; ++p) senders.emplace_back(sender, p);

  // Mid-stream, node 2 dies while it holds a partition: its delivery of one
  // message is at the receiver, unanswered, so not acknowledged to JetStream.
  REQUIRE(eventually([&] { return acked >= kPatients * kPerPatient / 3; }, std::chrono::seconds(60)));
  receiver.hold_next_from("node2");
  const bool held = eventually([&] { return receiver.holding().has_value(); }, std::chrono::seconds(20));
  INFO("node2:\n" << nodes[1].process->log());
  REQUIRE(held);
  node2_dead = true;
  CHECK(nodes[1].process->stop(SIGKILL) == 128 + SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  receiver.release();
  const std::string held_id = *receiver.holding();

  for (auto& t : senders) t.join();
  const double send_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  for (int p = 0; p < kPatients; ++p) CHECK(acked_per_patient[static_cast<std::size_t>(p)] == kPerPatient);

  // Everything AA'd arrives, and the work queue empties.
  auto first_arrivals = [&] {
    std::map<int, std::vector<int>> out;  // patient -> message indices in first-arrival order
    std::map<std::string, int> seen;
    for (const auto& a : receiver.arrivals()) {
      if (seen[a.control_id]++ > 0) continue;
      auto [patient, index] = patient_and_index(a.control_id);
      out[patient].push_back(index);
    }
    return out;
  };
  auto all_arrived = [&] {
    auto firsts = first_arrivals();
    for (int p = 0; p < kPatients; ++p)
      if (static_cast<int>(firsts[p].size()) < acked_per_patient[static_cast<std::size_t>(p)]) return false;
    return true;
  };
  const bool arrived = eventually(all_arrived, std::chrono::seconds(30));
  const bool drained = eventually([&] { return stream_messages(nats, "ARTERY_ADT") == 0; }, std::chrono::seconds(15));
  const double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  INFO("node1:\n" << nodes[0].process->log() << "\nnode3:\n" << nodes[2].process->log());
  CHECK(arrived);
  CHECK(drained);

  // Per patient: first arrivals in exactly the AA order 0, 1, 2, ...
  const auto firsts = first_arrivals();
  for (int p = 0; p < kPatients; ++p) {
    std::vector<int> expected(static_cast<std::size_t>(acked_per_patient[static_cast<std::size_t>(p)]));
    for (std::size_t n = 0; n < expected.size(); ++n) expected[n] = static_cast<int>(n);
    INFO("patient " << p);
    CHECK(firsts.at(p) == expected);
  }

  // The message the dead node held came again, from a survivor.
  const auto arrivals = receiver.arrivals();
  int held_arrivals = 0;
  std::string redelivered_by;
  double redelivered_after = -1;  // seconds from the kill
  for (const auto& a : arrivals)
    if (a.control_id == held_id && ++held_arrivals == 2) {
      redelivered_by = a.node;
      redelivered_after = std::chrono::duration<double>(a.at - killed_at).count();
    }
  CHECK(held_arrivals >= 2);
  CHECK((redelivered_by == "node1" || redelivered_by == "node3"));

  // Repeats: how many, and how many came after a later message of their patient.
  std::map<std::string, int> seen;
  std::map<int, int> newest;  // patient -> highest index arrived so far
  int repeats = 0, late_repeats = 0;
  std::map<std::string, int> per_node;
  for (const auto& a : arrivals) {
    ++per_node[a.node];
    auto [patient, index] = patient_and_index(a.control_id);
    if (seen[a.control_id]++ > 0) {
      ++repeats;
      if (index < newest[patient]) ++late_repeats;
    }
    newest[patient] = std::max(newest[patient], index);
  }
  std::cout << "cluster order test: " << acked << " AA'd (" << kPatients << " patients x " << kPerPatient << ", "
            << kPartitions << " partitions) in " << send_seconds << " s, all delivered after " << total_seconds
            << " s; node2 killed holding " << held_id << ", redelivered by " << redelivered_by << " "
            << redelivered_after << " s after the kill (ack_wait 4s); repeats " << repeats << " (after a later message of the patient: " << late_repeats
            << "); deliveries per node: node1 " << per_node["node1"] << ", node2 " << per_node["node2"]
            << ", node3 " << per_node["node3"] << "\n";
  CHECK(nodes[0].process->stop(SIGTERM) == 0);
  CHECK(nodes[2].process->stop(SIGTERM) == 0);
}

TEST_CASE("validate reports a bad order, key or partitions in a channel's cluster block at file:line:col",
          "[cluster][validate]") {
  TempDir dir("artery-cluster-order-validate");
  artery::testing::write_text(dir / "artery.yaml",
                              "channels: channels\ncluster:\n  node: node1\n  servers: [nats://127.0.0.1:4222]\n");
  auto channel = [&](const std::string& name, const std::string& source_extra, const std::string& cluster) {
    artery::testing::write_text(dir / "channels" / (name + ".yaml"),
                                "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                    std::to_string(artery::testing::free_port()) + "\n" + source_extra +
                                    "cluster:\n" + cluster);
  };
  channel("a", "", "  order: sorted\n");                                   // a.yaml:6
  channel("b", "", "  partitions: 8\n");                                    // b.yaml:6, no per-key
  channel("c", "", "  order: per-key\n  key: not a path\n");               // c.yaml:7
  channel("d", "", "  order: per-key\n  partitions: 0\n");                 // d.yaml:7
  channel("e", "  data_type: json\n", "  order: per-key\n");               // e.yaml:6 (the cluster key)
  channel("f", "  data_type: json\n", "  order: per-key\n  key: PID-3.1\n");  // f.yaml:8
  channel("g", "", "  order: per-key\n  key: ${source.remote\n");          // g.yaml:7
  channel("h", "", "  order: per-key\n  key: ${patient}\n");              // h.yaml:7: no script has run
  std::string output;
  CHECK(artery::testing::run_artery({"validate", "--config", (dir / "artery.yaml").string()}, output) == 1);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("a.yaml:6:") && Catch::Contains("sorted"));
  CHECK_THAT(output, Catch::Contains("b.yaml:6:") && Catch::Contains("'partitions' in cluster needs order: per-key"));
  CHECK_THAT(output, Catch::Contains("c.yaml:7:") && Catch::Contains("key 'not a path' is neither an HL7 path"));
  CHECK_THAT(output, Catch::Contains("d.yaml:7:") && Catch::Contains("partitions"));
  CHECK_THAT(output, Catch::Contains("e.yaml:6:") && Catch::Contains("order: per-key on a json channel needs a key"));
  CHECK_THAT(output, Catch::Contains("f.yaml:8:") && Catch::Contains("is an HL7 path, but this channel reads json"));
  CHECK_THAT(output, Catch::Contains("g.yaml:7:") && Catch::Contains("key:"));
  CHECK_THAT(output, Catch::Contains("h.yaml:7:") && Catch::Contains("${patient} is not set when the key is read"));

  // The same channels put right validate.
  channel("a", "", "  order: none\n");
  channel("b", "", "  order: per-key\n  partitions: 8\n");
  channel("c", "", "  order: per-key\n  key: PID-5.1\n");
  channel("d", "", "  order: per-key\n  partitions: 1\n");
  channel("e", "  data_type: json\n", "  order: per-key\n  key: ${source.remote_address}\n");
  channel("f", "  data_type: json\n", "  order: per-key\n  key: ${source.remote_address:-none}\n");
  channel("g", "", "  order: per-key\n");
  channel("h", "", "  order: per-key\n  key: ${source.remote_address}-${source.remote_port:-0}\n");
  CHECK(artery::testing::run_artery({"validate", "--config", (dir / "artery.yaml").string()}, output) == 0);
}
