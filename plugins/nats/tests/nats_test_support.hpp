// What the nats plugin's tests share: a connector context that keeps its log,
// options built in code (with the locations a channel file would give), a
// client connection to the test rig's servers, and an engine with an admin
// login for reading channel states and stored messages.
#pragma once
#include "jetstream_setup.hpp"
#include "nats_connection.hpp"

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/nats_cluster.hpp"

#include <artery/plugin.hpp>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nats_test {

class TestContext : public artery::ConnectorContext {
 public:
  explicit TestContext(std::string channel = "test", std::string connector = "source")
      : channel_(std::move(channel)), connector_(std::move(connector)) {}
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(artery::LogLevel, std::string_view text) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(text);
  }
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  std::filesystem::path base_dir() const override { return std::filesystem::temp_directory_path(); }
  std::filesystem::path data_dir() const override { return std::filesystem::temp_directory_path(); }
  std::string log_text() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::string channel_, connector_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Options as a channel file at chan.yaml would give them: key N on line N+2.
inline artery::ConnectorOptions options(const std::vector<std::pair<std::string, std::string>>& values) {
  artery::ConnectorOptions o;
  o.locations[""] = "chan.yaml:3:3";
  int line = 3;
  for (const auto& [key, value] : values) {
    o.tree.put(boost::property_tree::ptree::path_type(key, '.'), value);
    o.locations[key] = "chan.yaml:" + std::to_string(++line) + ":5";
  }
  return o;
}

// A client of the rig (the tests' own view of the streams).
inline std::unique_ptr<artery::nats::NatsConnection> client(const artery::testing::NatsCluster& cluster,
                                                           const std::string& user = {},
                                                           const std::string& password = {}) {
  artery::nats::ConnectionSettings settings;
  settings.servers = cluster.urls();
  settings.name = "artery tests";
  settings.user = user;
  settings.password = password;
  settings.max_reconnect = -1;
  settings.reconnect_wait = std::chrono::milliseconds(100);
  settings.max_reconnect_wait = std::chrono::milliseconds(500);
  std::string error;
  auto connection = artery::nats::NatsConnection::open(settings, {}, error);
  INFO(error);
  REQUIRE(connection);
  return connection;
}

inline std::uint64_t stream_messages(artery::nats::NatsConnection& c, const std::string& stream) {
  artery::nats::StreamState state;
  std::string error;
  return artery::nats::read_stream_state(c, stream, state, error) ? state.messages : 0;
}

// `artery run` on a folder of channels with the admin API, logged in as admin.
class AdminEngine {
 public:
  static constexpr const char* kPassword = "the nats tests' admin password";
  artery::testing::TempDir dir{"artery-nats-engine"};
  int http_port = artery::testing::free_port();
  std::unique_ptr<artery::testing::EngineProcess> engine;
  std::vector<std::pair<std::string, std::string>> read;

  void channel(const std::string& name, const std::string& yaml) {
    artery::testing::write_text(dir / ("channels/" + name + ".yaml"), yaml);
  }
  // Starts (or restarts after a kill) the engine on the same folders.
  void start(const std::string& wait_for = "channels") {
    ::setenv("ARTERY_ADMIN_PASSWORD", kPassword, 1);
    engine = std::make_unique<artery::testing::EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data",
                                 (dir / "data").string(), "--http", "127.0.0.1:" + std::to_string(http_port)},
        dir / ("engine-" + std::to_string(++runs_) + ".log"));
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    const bool up = engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port));
    INFO(engine->log());
    REQUIRE(up);
    REQUIRE(engine->wait_for_log(wait_for));
    auto login = artery::testing::http_post_json(http_port, "/api/login",
                                                 std::string(R"({"user":"admin","password":")") + kPassword + "\"}");
    REQUIRE(login.status == 200);
    read = {{"Cookie", login.header("set-cookie").substr(0, login.header("set-cookie").find(';'))}};
  }
  boost::json::value get(const std::string& target) {
    auto reply = artery::testing::http_get(http_port, target, read);
    INFO(target << " -> " << reply.status << " " << reply.body);
    REQUIRE(reply.status == 200);
    return boost::json::parse(reply.body);
  }

 private:
  int runs_ = 0;
};

}  // namespace nats_test
