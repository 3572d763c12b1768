// A real NATS server, or a cluster of 3, for tests: nats-server processes
// with JetStream file storage in a temporary folder, on free loopback ports,
// clustered with routes, each with its monitoring port (for readiness). Stop
// or kill one on demand and start it again with the same ports and store.
// Everything is killed and removed when the object goes.
#pragma once
#include "support/engine_process.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <sys/types.h>

namespace artery::testing {

class NatsCluster {
 public:
  // `servers`: 1 (no cluster block) or more (one cluster, full mesh of
  // routes). `extra_config` is appended to every server's config, e.g.
  // "authorization { user: u, password: p }". Starts them; wait_ready() next.
  explicit NatsCluster(std::size_t servers = 1, std::string extra_config = {});
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // The nats-server binary: $ARTERY_NATS_SERVER, else nats-server on PATH, else /usr/sbin/nats-server.
  static std::string binary();

  // Every running server answers /healthz (JetStream ready) and, clustered,
  // the JetStream meta group has a leader. False on timeout.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  std::size_t size() const { return servers_.size(); }
  int client_port(std::size_t i) const { return servers_.at(i).client_port; }
  int monitor_port(std::size_t i) const { return servers_.at(i).monitor_port; }
  std::string name(std::size_t i) const { return servers_.at(i).name; }
  std::string url(std::size_t i) const;
  std::vector<std::string> urls() const;  // every server's, running or not
  // "[nats://127.0.0.1:p1, nats://127.0.0.1:p2]": for a channel's `servers:`.
  std::string urls_yaml() const;

  bool running(std::size_t i) const;
  void start(std::size_t i);  // again, with the same ports and store
  void stop(std::size_t i);   // SIGTERM (lame duck, then exit), waits
  void kill(std::size_t i);   // SIGKILL, waits
  std::string log(std::size_t i) const;
  // The JetStream meta leader's server name as `from` sees it ("" none yet).
  std::string meta_leader(std::size_t from = 0) const;
  const std::filesystem::path& folder() const { return dir_.path(); }

 private:
  struct Server {
    std::string name;
    int client_port = 0, cluster_port = 0, monitor_port = 0;
    std::filesystem::path config, store, log;
    mutable pid_t pid = -1;  // -1 once reaped (running() reaps a server that died)
  };
  void write_config(std::size_t i, const std::string& extra) const;
  void wait_exit(Server& server, int signal);

  TempDir dir_{"artery-nats"};
  std::vector<Server> servers_;
};

}  // namespace artery::testing
