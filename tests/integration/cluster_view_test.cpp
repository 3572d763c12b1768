// One cluster, one view (docs/cluster.md) the way a user reaches it: three
// `artery run` nodes with `cluster:` in artery.yaml on a 3-server NATS
// cluster, one clustered channel, MLLP traffic to one node only, and the
// admin API of another node asked about the whole cluster: GET /api/cluster
// lists all three nodes with their channels, GET /api/channels[/{name}] add
// the cluster-wide totals (the sum of every node's counters) and each node's
// state and version; a node whose files changed runs another version, shown;
// a SIGKILLed node is shown as gone.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"
#include "support/nats_cluster.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

using artery::testing::EngineProcess;
using artery::testing::eventually;
using artery::testing::hl7_message;
using artery::testing::MllpClient;
using artery::testing::NatsCluster;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPassword = "the cluster view test's admin password";

struct ViewNode {
  std::string name;
  fs::path dir;
  int mllp_port = artery::testing::free_port();
  int http_port = artery::testing::free_port();
  std::unique_ptr<EngineProcess> process;
  std::string cookie;
  std::string csrf;
  bool watch = true;  // reload.watch in its artery.yaml

  void start() {
    ::setenv("ARTERY_ADMIN_PASSWORD", kPassword, 1);
    process = std::make_unique<EngineProcess>(std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string()},
                                              dir / "engine.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
  }
  bool wait_started() {
    if (!process->wait_for_log("running 1 of 1 channels", std::chrono::seconds(30))) return false;
    if (!process->wait_for_log("admin API and console on", std::chrono::seconds(10))) return false;
    auto login = artery::testing::http_post_json(http_port, "/api/login",
                                                 std::string(R"({"user":"admin","password":")") + kPassword + "\"}");
    if (login.status != 200) return false;
    cookie = login.header("set-cookie").substr(0, login.header("set-cookie").find(';'));
    csrf = std::string(boost::json::parse(login.body).at("csrf_token").as_string());
    return true;
  }
  artery::testing::HttpReply post(const std::string& target, const std::string& json) const {
    return artery::testing::http_post_json(http_port, target, json, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  }
  boost::json::object get(const std::string& target) const {
    auto reply = artery::testing::http_get(http_port, target, {{"Cookie", cookie}});
    if (reply.status != 200) return {};
    return boost::json::parse(reply.body).as_object();
  }
};

std::string channel_yaml(const ViewNode& node, const fs::path& out) {
  return "name: lab\n"
         "source:\n"
         "  type: mllp\n"
         "  listen: 127.0.0.1:" +
         std::to_string(node.mllp_port) +
         "\n"
         "script: lab.lua\n"
         "cluster:\n"
         "  stream: VIEW_WORK\n"
         "  replicas: 3\n"
         "  ack_wait: 3s\n"
         "  batch: 4\n"
         "destinations:\n"
         "  - name: delivered\n"
         "    type: file\n"
         "    directory: " +
         out.string() +
         "\n"
         "    filename: " +
         node.name + ".txt\n    mode: append\n";
}

constexpr const char* kScript =
    "local M = {}\n"
    "function M.transform(msg, ctx) return msg:get('MSH-10') .. '\\n' end\n"
    "return M\n";

std::string engine_yaml(const ViewNode& node, const NatsCluster& nats) {
  return "channels: channels\n"
         "data: data\n"
         "http: 127.0.0.1:" +
         std::to_string(node.http_port) +
         "\n"
         "cluster:\n"
         "  node: " +
         node.name + "\n  servers: " + nats.urls_yaml() +
         "\n"
         "  reconnect_wait: 100ms\n"
         "  max_reconnect_wait: 500ms\n"
         "  request_timeout: 5s\n" +
         (node.watch ? std::string() : std::string("reload:\n  watch: false\n"));
}

std::int64_t number(const boost::json::value& v) { return v.to_number<std::int64_t>(); }

const boost::json::object* find_node(const boost::json::object& cluster, const std::string& name) {
  for (const auto& n : cluster.at("nodes").as_array())
    if (n.as_object().at("node").as_string() == name) return &n.as_object();
  return nullptr;
}

const boost::json::object* find_channel(const boost::json::object& node, const std::string& name) {
  for (const auto& c : node.at("channels").as_array())
    if (c.as_object().at("name").as_string() == name) return &c.as_object();
  return nullptr;
}

}  // namespace

TEST_CASE("cluster view: any node shows every node, the summed counters, versions, and a killed node as gone",
          "[cluster][nats][view]") {
  NatsCluster nats(3);
  REQUIRE(nats.wait_ready());
  TempDir root("artery-cluster-view");
  const fs::path out = root / "out";
  fs::create_directories(out);
  std::vector<ViewNode> nodes(3);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    ViewNode& node = nodes[i];
    node.name = "node" + std::to_string(i + 1);
    node.dir = root / node.name;
    node.watch = i != 1;  // node 2 reloads only when asked (as on a file system without inotify)
    artery::testing::write_text(node.dir / "artery.yaml", engine_yaml(node, nats));
    artery::testing::write_text(node.dir / "channels/lab.yaml", channel_yaml(node, out));
    artery::testing::write_text(node.dir / "channels/lab.lua", kScript);
  }
  // Node 1 first, so the stream is created once and not raced by three
  // nodes on a loaded machine (docs/cluster.md: starting needs JetStream to
  // answer), then the other two together.
  auto wait_up = [](ViewNode& node) {
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

  // Traffic to node 1 only; JetStream spreads the processing over the nodes.
  constexpr int kMessages = 40;
  {
    MllpClient client(nodes[0].mllp_port, 15);
    for (int n = 0; n < kMessages; ++n) {
      const std::string id = "V" + std::to_string(n);
      REQUIRE(client.exchange(hl7_message(id)).find("MSA|AA|" + id) != std::string::npos);
    }
  }

  // Node 3's API sees all three nodes, and the counters summed over them.
  const ViewNode& observer = nodes[2];
  boost::json::object cluster;
  const bool complete = eventually(
      [&] {
        cluster = observer.get("/api/cluster");
        if (cluster.empty() || cluster.at("nodes").as_array().size() != 3) return false;
        std::int64_t received = 0, sent = 0;
        for (const auto& n : cluster.at("nodes").as_array()) {
          const auto* lab = find_channel(n.as_object(), "lab");
          if (!lab || n.as_object().at("gone").as_bool()) return false;
          received += number(lab->at("counters").as_object().at("received"));
          sent += number(lab->at("counters").as_object().at("sent"));
        }
        return received >= kMessages && sent >= kMessages;
      },
      std::chrono::seconds(30));
  INFO(boost::json::serialize(cluster) << "\nnode3:\n" << observer.process->log());
  REQUIRE(complete);
  CHECK(cluster.at("clustered").as_bool());
  CHECK(cluster.at("node").as_string() == "node3");
  CHECK(find_node(cluster, "node3")->at("self").as_bool());
  CHECK_FALSE(find_node(cluster, "node1")->at("self").as_bool());
  // Each node's version of the channel. (Here each node's channel file has
  // its own MLLP port and output file, so the versions differ from the
  // start; tests/unit/cluster_version_test.cpp shows equal files agree.)
  std::map<std::string, std::string> versions;
  for (const auto& n : cluster.at("nodes").as_array()) {
    const auto* lab = find_channel(n.as_object(), "lab");
    CHECK(lab->at("state").as_string() == "started");
    CHECK(lab->at("clustered").as_bool());
    CHECK(lab->at("version").as_string().size() == 16);
    versions[std::string(n.as_object().at("node").as_string())] = std::string(lab->at("version").as_string());
  }
  CHECK(versions.size() == 3);

  // GET /api/channels/lab on node 3: its own counters as before, plus the cluster's.
  auto lab = observer.get("/api/channels/lab");
  REQUIRE(lab.contains("cluster"));
  const auto& part = lab.at("cluster").as_object();
  CHECK(number(part.at("totals").as_object().at("received")) >= kMessages);
  CHECK(part.at("nodes").as_array().size() == 3);
  CHECK(part.at("versions").as_array().size() == 3);
  CHECK_FALSE(part.at("same_version").as_bool());
  CHECK(number(lab.at("counters").as_object().at("received")) <=
        number(part.at("totals").as_object().at("received")));
  auto list = observer.get("/api/channels");
  REQUIRE(list.at("channels").as_array().size() == 1);
  CHECK(list.at("channels").as_array()[0].as_object().contains("cluster"));

  // Search fan-out: a message received on node 1 is found by a search on
  // node 3, with the node it is on, and its detail is readable from node 3.
  auto found = observer.get("/api/messages?scope=cluster&control_id=V7");
  INFO(boost::json::serialize(found));
  REQUIRE(found.contains("messages"));
  CHECK(found.at("unanswered").as_array().empty());
  CHECK(found.at("nodes").as_array().size() == 3);
  const boost::json::object* on_node1 = nullptr;
  for (const auto& m : found.at("messages").as_array()) {
    CHECK(m.as_object().at("control_id").as_string() == "V7");
    if (m.as_object().at("node").as_string() == "node1") on_node1 = &m.as_object();
  }
  REQUIRE(on_node1);  // at least its receiving half is on node 1
  const std::string detail_target =
      "/api/messages/" + std::to_string(number(on_node1->at("id"))) + "?node=node1";
  auto detail = observer.get(detail_target);
  INFO(detail_target << " -> " << boost::json::serialize(detail));
  REQUIRE(detail.contains("raw"));
  CHECK(detail.at("node").as_string() == "node1");
  CHECK(detail.at("content_included").as_bool());
  CHECK(std::string(detail.at("raw").as_string()).find("V7") != std::string::npos);
  // The read is in the audit log of both nodes: the one asked and the one holding it.
  CHECK(eventually([&] {
    auto here = observer.get("/api/audit?action=message.view");
    auto there = nodes[0].get("/api/audit?action=message.view");
    return !here.empty() && !there.empty() && boost::json::serialize(here).find("node1") != std::string::npos &&
           boost::json::serialize(there).find("node3") != std::string::npos;
  }, std::chrono::seconds(5)));

  // What the fan-out costs: the same search, on this node only and on all three.
  {
    auto time_of = [&](const std::string& target) {
      const auto began = std::chrono::steady_clock::now();
      for (int i = 0; i < 20; ++i) REQUIRE(observer.get(target).contains("messages"));
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count() / 20;
    };
    const double local = time_of("/api/messages?channel=lab&limit=50");
    const double fanned = time_of("/api/messages?scope=cluster&channel=lab&limit=50");
    std::cout << "cluster view: search of 50 on this node " << local << " ms, on 3 nodes " << fanned
              << " ms (mean of 20); a snapshot of this node is "
              << boost::json::serialize(find_node(cluster, "node1")->at("channels")).size() + 60
              << " bytes a second\n";
  }

  // Paging across the nodes: pages of 7 walk every processed message once.
  {
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (; pages < 50; ++pages) {
      auto page = observer.get("/api/messages?scope=cluster&channel=lab&limit=7" +
                               (cursor.empty() ? std::string() : "&cursor=" + cursor));
      REQUIRE(page.contains("messages"));
      std::int64_t previous = INT64_MAX;
      for (const auto& m : page.at("messages").as_array()) {
        const auto& o = m.as_object();
        CHECK(seen.insert(std::string(o.at("node").as_string()) + "/" + std::to_string(number(o.at("id")))).second);
        CHECK(number(o.at("received_at_ms")) <= previous);  // newest first across the nodes
        previous = number(o.at("received_at_ms"));
      }
      if (!page.at("more").as_bool()) break;
      cursor = std::string(page.at("next_cursor").as_string());
    }
    CHECK(static_cast<std::int64_t>(seen.size()) == number(part.at("totals").as_object().at("received")));
    CHECK(pages >= kMessages / 7);
  }

  // A deploy shows in the view: node 1's script changes (its hot reload
  // takes it), and node 3 sees node 1 run a new version, the others not.
  artery::testing::write_text(nodes[0].dir / "channels/lab.lua", std::string(kScript) + "-- version 2\n");
  std::map<std::string, std::string> now;
  const bool moved = eventually(
      [&] {
        auto seen = observer.get("/api/cluster");
        if (seen.empty()) return false;
        now.clear();
        for (const auto& n : seen.at("nodes").as_array())
          if (const auto* c = find_channel(n.as_object(), "lab"))
            now[std::string(n.as_object().at("node").as_string())] = std::string(c->at("version").as_string());
        return now.size() == 3 && now["node1"] != versions["node1"];
      },
      std::chrono::seconds(20));
  INFO("node1:\n" << nodes[0].process->log());
  CHECK(moved);
  CHECK(now["node2"] == versions["node2"]);
  CHECK(now["node3"] == versions["node3"]);

  // A reload for the whole cluster, asked on node 3: node 2, which does not
  // watch its files, takes its changed script too, and says so.
  artery::testing::write_text(nodes[1].dir / "channels/lab.lua", std::string(kScript) + "-- version 2\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(find_channel(*find_node(observer.get("/api/cluster"), "node2"), "lab")->at("version").as_string() ==
        versions["node2"]);
  auto reload = observer.post("/api/reload?scope=cluster", "{}");
  INFO(reload.body);
  REQUIRE(reload.status == 200);
  auto reloaded = boost::json::parse(reload.body).as_object();
  CHECK(reloaded.at("ok").as_bool());
  CHECK(reloaded.at("nodes").as_array().size() == 3);
  CHECK(reloaded.at("unanswered").as_array().empty());
  CHECK(eventually(
      [&] {
        const auto seen = observer.get("/api/cluster");
        const auto* node2 = seen.empty() ? nullptr : find_node(seen, "node2");
        return node2 && find_channel(*node2, "lab")->at("version").as_string() != versions["node2"];
      },
      std::chrono::seconds(5)));

  // Node 2 dies without a word: within seconds it is shown as gone, its last
  // counters still in the totals.
  CHECK(nodes[1].process->stop(SIGKILL) == 128 + SIGKILL);
  const bool gone = eventually(
      [&] {
        cluster = observer.get("/api/cluster");
        const auto* node2 = cluster.empty() ? nullptr : find_node(cluster, "node2");
        return node2 && node2->at("gone").as_bool();
      },
      std::chrono::seconds(15));
  INFO(boost::json::serialize(cluster));
  CHECK(gone);
  CHECK_FALSE(find_node(cluster, "node1")->at("gone").as_bool());
  // ...and a search says it did not answer, with what the others found.
  auto partial = observer.get("/api/messages?scope=cluster&control_id=V7");
  INFO(boost::json::serialize(partial));
  REQUIRE(partial.contains("unanswered"));
  REQUIRE(partial.at("unanswered").as_array().size() == 1);
  CHECK(partial.at("unanswered").as_array()[0].as_object().at("node").as_string() == "node2");
  CHECK_FALSE(partial.at("messages").as_array().empty());
  for (auto& node : {&nodes[0], &nodes[2]}) CHECK(node->process->stop(SIGTERM) == 0);
}
