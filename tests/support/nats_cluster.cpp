#include "support/nats_cluster.hpp"

#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace artery::testing {

namespace fs = std::filesystem;

std::string NatsCluster::binary() {
  if (const char* given = std::getenv("ARTERY_NATS_SERVER"); given && *given) return given;
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (std::size_t start = 0; start <= dirs.size();) {
      const auto end = std::min(dirs.find(':', start), dirs.size());
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "nats-server";
      if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  return "/usr/sbin/nats-server";
}

NatsCluster::NatsCluster(std::size_t servers, std::string extra_config) {
  servers_.resize(servers);
  for (std::size_t i = 0; i < servers; ++i) {
    Server& s = servers_[i];
    s.name = "n" + std::to_string(i + 1);
    s.client_port = free_port();
    s.cluster_port = free_port();
    s.monitor_port = free_port();
    s.config = dir_ / (s.name + ".conf");
    s.store = dir_ / (s.name + "-store");
    s.log = dir_ / (s.name + ".log");
    fs::create_directories(s.store);
  }
  for (std::size_t i = 0; i < servers; ++i) write_config(i, extra_config);
  for (std::size_t i = 0; i < servers; ++i) start(i);
}

NatsCluster::~NatsCluster() {
  for (auto& s : servers_)
    if (s.pid > 0) wait_exit(s, SIGKILL);
}

void NatsCluster::write_config(std::size_t i, const std::string& extra) const {
  const Server& s = servers_[i];
  std::string text = "server_name: " + s.name + "\nlisten: 127.0.0.1:" + std::to_string(s.client_port) +
                     "\nhttp: 127.0.0.1:" + std::to_string(s.monitor_port) +
                     "\njetstream {\n  store_dir: \"" + s.store.string() +
                     "\"\n  max_memory_store: 64MB\n  max_file_store: 1GB\n}\n";
  if (servers_.size() > 1) {
    text += "cluster {\n  name: artery-test\n  listen: 127.0.0.1:" + std::to_string(s.cluster_port) +
            "\n  routes: [\n";
    for (const auto& other : servers_)
      if (&other != &s) text += "    nats-route://127.0.0.1:" + std::to_string(other.cluster_port) + "\n";
    text += "  ]\n}\n";
  }
  text += extra + "\n";
  write_text(s.config, text);
}

void NatsCluster::start(std::size_t i) {
  Server& s = servers_.at(i);
  if (s.pid > 0) return;
  const int out = ::open(s.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + s.log.string());
  const std::string program = binary();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execl(program.c_str(), program.c_str(), "-c", s.config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(out);
  if (pid < 0) throw std::runtime_error("cannot fork nats-server");
  s.pid = pid;
}

bool NatsCluster::running(std::size_t i) const {
  const Server& s = servers_.at(i);
  if (s.pid <= 0) return false;
  if (::waitpid(s.pid, nullptr, WNOHANG) == 0) return true;
  s.pid = -1;
  return false;
}

void NatsCluster::wait_exit(Server& s, int signal) {
  ::kill(s.pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (::waitpid(s.pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  s.pid = -1;
}

void NatsCluster::stop(std::size_t i) {
  if (servers_.at(i).pid > 0) wait_exit(servers_[i], SIGTERM);
}

void NatsCluster::kill(std::size_t i) {
  if (servers_.at(i).pid > 0) wait_exit(servers_[i], SIGKILL);
}

std::string NatsCluster::url(std::size_t i) const {
  return "nats://127.0.0.1:" + std::to_string(servers_.at(i).client_port);
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < servers_.size(); ++i) out.push_back(url(i));
  return out;
}

std::string NatsCluster::urls_yaml() const {
  std::string out = "[";
  for (const auto& u : urls()) out += (out.size() > 1 ? ", " : "") + u;
  return out + "]";
}

std::string NatsCluster::log(std::size_t i) const { return read_text(servers_.at(i).log); }

std::string NatsCluster::meta_leader(std::size_t from) const {
  // /jsz answers {"meta_cluster": {"name": ..., "leader": "n2", ...}} once elected.
  const auto reply = http_get(servers_.at(from).monitor_port, "/jsz");
  if (reply.status != 200) return {};
  const auto meta = reply.body.find("\"meta_cluster\"");
  if (meta == std::string::npos) return {};
  const auto key = reply.body.find("\"leader\"", meta);
  if (key == std::string::npos) return {};
  const auto open = reply.body.find('"', reply.body.find(':', key) + 1);
  const auto close = reply.body.find('"', open + 1);
  if (open == std::string::npos || close == std::string::npos) return {};
  return reply.body.substr(open + 1, close - open - 1);
}

bool NatsCluster::wait_ready(std::chrono::milliseconds timeout) const {
  return eventually(
      [&] {
        for (std::size_t i = 0; i < servers_.size(); ++i) {
          if (!running(i)) continue;
          // /healthz is 200 {"status":"ok"} once JetStream is up and current.
          if (http_get(servers_[i].monitor_port, "/healthz").status != 200) return false;
          if (servers_.size() > 1 && meta_leader(i).empty()) return false;
        }
        return true;
      },
      timeout);
}

}  // namespace artery::testing
