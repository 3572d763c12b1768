// Clustered channels (docs/cluster.md) against the real engine: the test
// rig's 3 NATS servers (JetStream, file storage, the stream at replicas 3)
// and 1, 2 and 3 `artery run` nodes sharing bench_mllp's channel (Lua
// transform, file destination) through `cluster:`, with closed-loop MLLP
// senders spread over the nodes' ports. Beside it, as the reference, one
// engine with the same channel and no `cluster:`. Prints msg/s, ACK p50/p99,
// engine and nats-server CPU per message (user + system from /proc, summed
// over the processes), the engines' context switches and the servers' NATS
// messages per message, how many messages each node processed, where the
// stream's leader and each connection are; then the projection to N
// machines from those per-message costs (docs/performance.md, "Clustered
// channels"). Figures, never assertions. On a shared 2-core machine the rates move with the other
// tenants' load; the CPU per message is the figure to read.
//
//   bench_cluster [--rounds N] [--seconds S] [--connections C]
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"
#include "support/nats_cluster.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace artery::testing;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// bench_mllp's message: an ORU^R01 of about 400 bytes.
std::string message(int connection, long n) {
  char id[48];
  std::snprintf(id, sizeof id, "C%02d-%09ld", connection, n);
  return std::string("MSH|^~\\&|WARDMON|ICU-3|ARTERY|LAB|20261121083000||ORU^R01^ORU_R01|") + id +
         "|P|2.5.1\rPID|1||555444222^^^HOSP^MR||SMITH^JANE^A||19700412|F\r"
         "OBR|1|ORD1001|FIL1001|BMP^Basic metabolic panel^L|||20261121082500\r"
         "OBX|1|NM|2823-3^Potassium^LN||6.2|mmol/L|3.5-5.1|H|||F|||20261121082500\r"
         "OBX|2|NM|2951-2^Sodium^LN||139|mmol/L|135-145|N|||F|||20261121082500\r";
}

// bench_mllp's transform.
constexpr const char* kScript = R"(local M = {}
function M.transform(msg, ctx)
  ctx.vars.patient_id = msg:get("PID-3.1")
  msg:set("MSH-5", "BENCH")
end
return M
)";

// CPU time (user + system) of a process so far, in seconds: fields 14 and 15
// of /proc/<pid>/stat, counted after the command's closing parenthesis.
double cpu_seconds(pid_t pid) {
  const auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Context switches (voluntary + involuntary) of all a process's threads so
// far: a message that hops between threads and processes pays for each hop.
double context_switches(pid_t pid) {
  double total = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const auto status = read_text(task.path() / "status");
    for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
      const auto at = status.find(key);
      if (at != std::string::npos) total += std::atof(status.c_str() + at + std::strlen(key));
    }
  }
  return total;
}

// The rig does not hand out its servers' pids: find each by its config file
// on the command line (the rig's folder is unique to this run).
std::vector<pid_t> nats_pids(const NatsCluster& nats) {
  std::vector<pid_t> pids(nats.size(), -1);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_text(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    for (std::size_t i = 0; i < nats.size(); ++i)
      if (cmdline.find((nats.folder() / (nats.name(i) + ".conf")).string()) != std::string::npos)
        pids[i] = static_cast<pid_t>(std::atol(name.c_str()));
  }
  return pids;
}

// NATS protocol messages the servers took in so far (clients' publishes,
// pull requests and acks, and the routes' replication traffic), summed over
// the servers' /varz: per HL7 message, what one message costs in NATS traffic.
double nats_messages_in(const NatsCluster& nats) {
  double total = 0;
  for (std::size_t i = 0; i < nats.size(); ++i) {
    const auto reply = http_get(nats.monitor_port(i), "/varz");
    const auto key = reply.body.find("\"in_msgs\"");
    if (reply.status == 200 && key != std::string::npos)
      total += std::atof(reply.body.c_str() + reply.body.find(':', key) + 1);
  }
  return total;
}

// Where the work sits in the NATS cluster: the stream's and the consumer's
// Raft leaders, and which server each engine connection is on ("nodeN
// bench/ingress" publishes node N's received messages, "nodeN bench/cluster"
// pulls its work). A connection on another server than the leader has its
// publishes, pulls and acks forwarded over a route.
std::string placement(const NatsCluster& nats) {
  std::string stream_leader = "?", consumer_leader = "?", connections;
  for (std::size_t i = 0; i < nats.size(); ++i) {
    const auto jsz = http_get(nats.monitor_port(i), "/jsz?consumers=true");
    boost::system::error_code ec;
    const auto root = boost::json::parse(jsz.body, ec);
    if (!ec && root.is_object())
      if (const auto* accounts = root.as_object().if_contains("account_details"); accounts && accounts->is_array())
        for (const auto& account : accounts->as_array())
          if (const auto* streams = account.as_object().if_contains("stream_detail"); streams && streams->is_array())
            for (const auto& stream : streams->as_array()) {
              const auto& st = stream.as_object();
              if (st.at("name").as_string() != "BENCH_WORK") continue;
              if (const auto* c = st.if_contains("cluster"); c && c->as_object().if_contains("leader"))
                stream_leader = boost::json::value_to<std::string>(c->as_object().at("leader"));
              if (const auto* consumers = st.if_contains("consumer_detail"); consumers && consumers->is_array())
                for (const auto& consumer : consumers->as_array())
                  if (const auto* c = consumer.as_object().if_contains("cluster");
                      c && c->as_object().if_contains("leader"))
                    consumer_leader = boost::json::value_to<std::string>(c->as_object().at("leader"));
            }
    const auto connz = http_get(nats.monitor_port(i), "/connz");
    const auto list = boost::json::parse(connz.body, ec);
    std::string here;
    if (!ec && list.is_object())
      if (const auto* conns = list.as_object().if_contains("connections"); conns && conns->is_array())
        for (const auto& conn : conns->as_array())
          if (const auto* name = conn.as_object().if_contains("name"); name && name->is_string()) {
            std::string text(name->as_string());
            if (text.rfind("artery ", 0) == 0) text = text.substr(7);
            here += (here.empty() ? "" : ", ") + text;
          }
    connections += "  " + nats.name(i) + ": " + (here.empty() ? "-" : here);
  }
  return "stream leader " + stream_leader + ", consumer leader " + consumer_leader + ";" + connections;
}

std::string load_average() {
  std::istringstream in(read_text("/proc/loadavg"));
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// One `artery run`: its folder (artery.yaml, channels/, data/), its MLLP
// port, and the file its destination appends to (one line per message).
struct Engine {
  std::string name;
  fs::path dir, output;
  int port = free_port();
  std::unique_ptr<EngineProcess> process;
  int runs = 0;

  bool running() const { return process && process->running(); }
  bool start() {
    process = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string()},
        dir / ("engine-" + std::to_string(++runs) + ".log"));
    const bool up = process->wait_for_log("running 1 of 1 channels", std::chrono::seconds(60)) &&
                    eventually([&] { return MllpClient(port).ok(); }, std::chrono::seconds(10));
    if (!up) std::fprintf(stderr, "%s did not start:\n%s\n", name.c_str(), process->log().c_str());
    return up;
  }
  void stop() {
    if (process) process->stop(SIGTERM);
    process.reset();
  }
  std::size_t processed() const { return count_lines(output); }
};

void write_engine(Engine& engine, const fs::path& out, const NatsCluster* nats) {
  engine.output = out / (engine.name + ".hl7");
  std::string channel = "name: bench\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(engine.port) +
                        "\nscript: transform.lua\n";
  // The defaults a user gets (ack_wait 30s, batch 16), at replicas 3.
  if (nats) channel += "cluster:\n  stream: BENCH_WORK\n  replicas: 3\n";
  channel += "destinations:\n  - name: out\n    type: file\n    directory: " + out.string() +
             "\n    filename: " + engine.name + ".hl7\n    mode: append\n    atomic: false\n    separator: \"\\n\"\n";
  write_text(engine.dir / "channels/bench.yaml", channel);
  write_text(engine.dir / "channels/transform.lua", kScript);
  std::string config = "channels: channels\ndata: data\n";
  if (nats)
    config += "cluster:\n  node: " + engine.name + "\n  servers: " + nats->urls_yaml() +
              "\n  reconnect_wait: 100ms\n  max_reconnect_wait: 500ms\n";
  write_text(engine.dir / "artery.yaml", config);
}

struct Sample {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  double engine_us = 0, nats_us = 0, nats_max_server_us = 0;  // CPU per acknowledged message
  double nats_in_per_message = 0;  // NATS protocol messages in, over the servers
  double engine_switches = 0;       // context switches per message, over the engine processes' threads
  double drain_s = 0;  // after the senders stopped, until every message was in a destination file
  long acked = 0, failures = 0, duplicates = 0;
  std::vector<long> per_node;  // messages each node's processing half delivered
  std::vector<double> nats_server_us;  // each server's CPU per message (in one round, not in the medians)
};

// `connections` closed loops (send, wait for the ACK) for `seconds`,
// connection c on engine c % engines.size(); then waits until the
// destinations hold every acknowledged message, so the CPU counted is each
// message's whole path: receive, (publish, pull,) transform, store, deliver.
Sample measure(std::vector<Engine*> engines, const NatsCluster* cluster, const std::vector<pid_t>& nats,
               int connections, double seconds) {
  const double nats_in_before = cluster ? nats_messages_in(*cluster) : 0;
  std::vector<double> engine_before, nats_before;
  std::vector<long> lines_before;
  double switches_before = 0;
  for (auto* e : engines) switches_before += context_switches(e->process->pid());
  for (auto* e : engines) engine_before.push_back(cpu_seconds(e->process->pid()));
  for (auto* e : engines) lines_before.push_back(static_cast<long>(e->processed()));
  for (pid_t p : nats) nats_before.push_back(cpu_seconds(p));

  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  static std::atomic<long> sequence{0};
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      MllpClient client(engines[static_cast<std::size_t>(c) % engines.size()]->port, 30);
      if (!client.ok()) {
        ++failures;
        return;
      }
      while (Clock::now() < stop) {
        const auto t0 = Clock::now();
        const std::string answer = client.exchange(message(c, sequence++));
        if (answer.empty()) {
          ++failures;
          return;
        }
        if (answer.find("MSA|AA") == std::string::npos && answer.find("MSA|CA") == std::string::npos) {
          ++failures;
          continue;
        }
        latencies[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto sent = Clock::now();
  const double elapsed = std::chrono::duration<double>(sent - start).count();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Sample s;
  s.acked = static_cast<long>(all.size());
  s.failures = failures;
  auto processed = [&] {
    long n = 0;
    for (std::size_t i = 0; i < engines.size(); ++i) n += static_cast<long>(engines[i]->processed()) - lines_before[i];
    return n;
  };
  if (!eventually([&] { return processed() >= s.acked; }, std::chrono::seconds(120)))
    std::fprintf(stderr, "  (not drained: %ld of %ld acknowledged messages delivered)\n", processed(), s.acked);
  s.drain_s = std::chrono::duration<double>(Clock::now() - sent).count();
  // A moment more: a duplicate (a redelivery) would land after the count is reached.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (std::size_t i = 0; i < engines.size(); ++i)
    s.per_node.push_back(static_cast<long>(engines[i]->processed()) - lines_before[i]);
  s.duplicates = std::max(0L, processed() - s.acked);
  if (all.empty()) return s;

  double engine_cpu = 0, nats_cpu = 0, nats_max = 0;
  for (std::size_t i = 0; i < engines.size(); ++i)
    engine_cpu += cpu_seconds(engines[i]->process->pid()) - engine_before[i];
  for (std::size_t i = 0; i < nats.size(); ++i) {
    const double used = cpu_seconds(nats[i]) - nats_before[i];
    nats_cpu += used;
    nats_max = std::max(nats_max, used);
    s.nats_server_us.push_back(1e6 * used / static_cast<double>(s.acked));
  }
  const double n = static_cast<double>(s.acked);
  s.per_second = n / elapsed;
  s.p50_ms = all[all.size() / 2];
  s.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  s.engine_us = 1e6 * engine_cpu / n;
  s.nats_us = 1e6 * nats_cpu / n;
  s.nats_max_server_us = 1e6 * nats_max / n;
  if (cluster) s.nats_in_per_message = (nats_messages_in(*cluster) - nats_in_before) / n;
  double switches = 0;
  for (auto* e : engines) switches += context_switches(e->process->pid());
  s.engine_switches = (switches - switches_before) / n;
  return s;
}

// The medians of one case's rounds, each figure on its own.
Sample medians(const std::vector<Sample>& rounds) {
  auto of = [&](auto field) {
    std::vector<double> v;
    for (const auto& r : rounds) v.push_back(static_cast<double>(r.*field));
    return median(v);
  };
  Sample m;
  m.per_second = of(&Sample::per_second), m.p50_ms = of(&Sample::p50_ms), m.p99_ms = of(&Sample::p99_ms);
  m.engine_us = of(&Sample::engine_us), m.nats_us = of(&Sample::nats_us);
  m.nats_max_server_us = of(&Sample::nats_max_server_us), m.drain_s = of(&Sample::drain_s);
  m.nats_in_per_message = of(&Sample::nats_in_per_message);
  m.engine_switches = of(&Sample::engine_switches);
  for (const auto& r : rounds) m.acked += r.acked, m.failures += r.failures, m.duplicates += r.duplicates;
  m.per_node.assign(rounds.empty() ? 0 : rounds.front().per_node.size(), 0);
  for (const auto& r : rounds)
    for (std::size_t i = 0; i < r.per_node.size() && i < m.per_node.size(); ++i) m.per_node[i] += r.per_node[i];
  return m;
}

void print_sample(const char* what, const Sample& s, bool clustered) {
  std::printf("  %-22s %7.0f msg/s  ACK p50 %6.2f ms  p99 %6.2f ms  engine %6.1f us/msg (%.1f switches)", what,
              s.per_second, s.p50_ms, s.p99_ms, s.engine_us, s.engine_switches);
  if (clustered)
    std::printf("  nats %6.1f us/msg (busiest server %5.1f, %.1f NATS msgs in)", s.nats_us, s.nats_max_server_us,
                s.nats_in_per_message);
  std::printf("  drained +%.1f s", s.drain_s);
  if (!s.nats_server_us.empty()) {
    std::printf("  per server");
    for (double us : s.nats_server_us) std::printf(" %.0f", us);
  }
  if (s.per_node.size() > 1) {
    std::printf("  processed");
    for (long n : s.per_node) std::printf(" %ld", n);
  }
  if (s.failures) std::printf("  (%ld FAILURES)", s.failures);
  if (s.duplicates) std::printf("  (%ld delivered twice)", s.duplicates);
  std::printf("\n");
}

// What the processes burn with no traffic, in CPU milliseconds per second:
// a cost the per-message figures carry, spread over the messages.
void print_idle(const std::vector<Engine*>& engines, const std::vector<pid_t>& nats) {
  std::vector<double> engine_before, nats_before;
  for (auto* e : engines) engine_before.push_back(cpu_seconds(e->process->pid()));
  for (pid_t p : nats) nats_before.push_back(cpu_seconds(p));
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("    idle, CPU ms per s: engine");
  for (std::size_t i = 0; i < engines.size(); ++i)
    std::printf(" %.1f", 1e3 * (cpu_seconds(engines[i]->process->pid()) - engine_before[i]) / elapsed);
  std::printf("  nats");
  for (std::size_t i = 0; i < nats.size(); ++i)
    std::printf(" %.1f", 1e3 * (cpu_seconds(nats[i]) - nats_before[i]) / elapsed);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3, connections = 8;
  double seconds = 4.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--seconds") seconds = std::max(0.5, std::atof(argv[i + 1]));
    else if (flag == "--connections") connections = std::max(1, std::atoi(argv[i + 1]));
  }
  if (::access(NatsCluster::binary().c_str(), X_OK) != 0) {
    std::printf("bench_cluster: skipped, no nats-server (%s); `make deps` installs it\n",
                NatsCluster::binary().c_str());
    return 0;
  }
  const std::string load_before = load_average();
  char started[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(started, sizeof started, "%Y-%m-%d %H:%M", std::localtime(&now));

  NatsCluster nats(3);
  if (!nats.wait_ready()) {
    std::fprintf(stderr, "the NATS cluster did not get ready:\n%s\n", nats.log(0).c_str());
    return 1;
  }
  const auto nats_pid = nats_pids(nats);
  for (pid_t p : nats_pid)
    if (p <= 0) {
      std::fprintf(stderr, "cannot find the nats-server processes under /proc\n");
      return 1;
    }

  TempDir root("artery-bench-cluster");
  const fs::path out = root / "out";
  fs::create_directories(out);
  Engine single;
  single.name = "single";
  single.dir = root / "single";
  write_engine(single, out, nullptr);
  std::vector<Engine> nodes(3);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].name = "node" + std::to_string(i + 1);
    nodes[i].dir = root / nodes[i].name;
    write_engine(nodes[i], out, &nats);
  }
  std::string output;
  if (run_artery({"validate", "--config", (nodes[0].dir / "artery.yaml").string()}, output) != 0) {
    std::fprintf(stderr, "the bench channel does not validate:\n%s\n", output.c_str());
    return 1;
  }
  if (!single.start()) return 1;

  // Rounds alternate the cases so the machine's other load falls on all of
  // them alike; the node count goes 1, 2, 3 then 3, 2, 1, so each step starts
  // or stops one node. An idle node would still pull, so a case runs only
  // the nodes it counts. A node stops (SIGTERM) only once drained.
  std::vector<Sample> reference;
  std::vector<std::vector<Sample>> clustered(nodes.size());
  auto run_case = [&](std::size_t count) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i < count && !nodes[i].running()) {
        if (!nodes[i].start()) return false;
      } else if (i >= count && nodes[i].running()) {
        nodes[i].stop();
      }
    }
    std::vector<Engine*> running;
    for (std::size_t i = 0; i < count; ++i) running.push_back(&nodes[i]);
    measure(running, &nats, nats_pid, connections, 1.0);  // warm-up: connections, Lua states, the consumer's pulls
    clustered[count - 1].push_back(measure(running, &nats, nats_pid, connections, seconds));
    char what[32];
    std::snprintf(what, sizeof what, "%zu node%s", count, count > 1 ? "s" : "");
    print_sample(what, clustered[count - 1].back(), true);
    print_idle(running, nats_pid);
    std::printf("    %s\n", placement(nats).c_str());
    return true;
  };
  std::printf("Clustered channel, %d closed-loop MLLP connections spread over the nodes, %.0f s per case,\n"
              "3 NATS servers (JetStream file storage, replicas 3), ORU^R01 ~400 B, Lua transform, file destination\n",
              connections, seconds);
  measure({&single}, nullptr, {}, connections, 1.0);  // warm-up
  for (int r = 0; r < rounds; ++r) {
    std::printf(" round %d (load %s):\n", r + 1, load_average().c_str());
    reference.push_back(measure({&single}, nullptr, {}, connections, seconds));
    print_sample("single engine, no NATS", reference.back(), false);
    if (r % 2 == 0) {
      for (std::size_t count = 1; count <= nodes.size(); ++count)
        if (!run_case(count)) return 1;
    } else {
      for (std::size_t count = nodes.size(); count >= 1; --count)
        if (!run_case(count)) return 1;
    }
  }
  for (auto& node : nodes) node.stop();
  single.stop();

  std::printf("\nMedians of %d rounds (%s, load average %s before, %s after):\n", rounds, started, load_before.c_str(),
              load_average().c_str());
  const Sample one = medians(reference);
  print_sample("single engine, no NATS", one, false);
  std::vector<Sample> cases;
  for (std::size_t count = 1; count <= nodes.size(); ++count) {
    cases.push_back(medians(clustered[count - 1]));
    char what[32];
    std::snprintf(what, sizeof what, "%zu node%s", count, count > 1 ? "s" : "");
    print_sample(what, cases.back(), true);
  }
  const Sample& three = cases.back();
  std::printf("  clustering's cost per message (3 nodes against the single engine): engine %.1f -> %.1f us (x%.2f), "
              "plus JetStream %.1f us: %.1f us in all (x%.2f)\n",
              one.engine_us, three.engine_us, one.engine_us > 0 ? three.engine_us / one.engine_us : 0.0, three.nats_us,
              three.engine_us + three.nats_us,
              one.engine_us > 0 ? (three.engine_us + three.nats_us) / one.engine_us : 0.0);

  // The projection. Per acknowledged message: c_e engine CPU summed over the
  // nodes (one receives it, one processes it: the cost moves, it does not
  // multiply), c_j nats-server CPU summed over the 3 replicas, c_l the
  // busiest server's share (the stream leader's). One machine = one engine
  // node + one NATS server, k cores, CPU the only limit, senders spread
  // evenly. Spread work: with many clustered channels their streams'
  // leaders and replicas spread over all N servers, and each machine carries
  // 1/N of everything: rate = N k / (c_e + c_j). One channel: its stream
  // lives on 3 servers whatever N is, so the leader's machine also limits:
  // rate <= k / (c_e / N + c_l).
  const double c_e = three.engine_us * 1e-6, c_j = three.nats_us * 1e-6, c_l = three.nats_max_server_us * 1e-6;
  std::printf("\nProjection from the 3-node medians: c_e = %.1f us engine, c_j = %.1f us JetStream (3 replicas; "
              "busiest server c_l = %.1f us) per message\n",
              three.engine_us, three.nats_us, three.nats_max_server_us);
  std::printf("  one engine node and one NATS server per machine, CPU-bound, network not the limit\n");
  std::printf("  %-9s %-6s %26s %26s %22s\n", "machines", "cores", "many channels N k/(c_e+c_j)",
              "one channel (leader-bound)", "single engine, 1 box");
  for (int cores : {2, 8})
    for (int machines : {3, 5, 10}) {
      const double spread = machines * cores / (c_e + c_j);
      const double one_channel = std::min(spread, cores / (c_e / machines + c_l));
      std::printf("  %-9d %-6d %20.0f msg/s %20.0f msg/s %16.0f msg/s\n", machines, cores, spread, one_channel,
                  one.engine_us > 0 ? cores / (one.engine_us * 1e-6) : 0.0);
    }
  return 0;
}
