// The admin API as an operator's tools reach it: `artery run --http ADDR`,
// then plain HTTP over loopback. What needs no login is tested here; the
// logged-in endpoints are tested with real users in admin_auth_test.cpp and
// admin_channels_test.cpp.
#include "support/engine_process.hpp"
#include "support/lab_channel.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <set>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

void write_channel(const TempDir& dir, int mllp_port) {
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/lab.yaml", lab_channel_yaml(mllp_port, dir / "out"));
}

struct RunningEngine {
  TempDir dir{"artery-admin-api"};
  int http_port = free_port();
  int mllp_port = free_port();
  std::unique_ptr<EngineProcess> engine;
  RunningEngine() {
    write_channel(dir, mllp_port);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                                 "--http", "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port)));
  }
};

}  // namespace

TEST_CASE("artery run --http serves health and the OpenAPI document without a login", "[admin][integration]") {
  RunningEngine running;
  auto health = http_get(running.http_port, "/api/health");
  REQUIRE(health.status == 200);
  auto verdict = boost::json::parse(health.body).as_object();
  CHECK(verdict.at("status").as_string() == "healthy");
  CHECK(verdict.at("channels").as_int64() == 1);

  auto openapi = http_get(running.http_port, "/api/openapi.json");
  REQUIRE(openapi.status == 200);
  auto document = boost::json::parse(openapi.body).as_object();
  CHECK(document.at("openapi").as_string() == "3.0.3");
  const auto& paths = document.at("paths").as_object();
  // The endpoints DESIGN.md names, each described with the role it needs.
  for (const char* path : {"/api/health", "/api/channels", "/api/channels/{name}", "/api/channels/{name}/stop",
                           "/api/messages", "/api/messages/{id}", "/api/messages/{id}/reprocess", "/api/plugins",
                           "/api/events", "/api/audit", "/api/openapi.json"}) {
    INFO(path);
    REQUIRE(paths.contains(path));
  }
  std::set<std::string> ids;
  for (const auto& [path, operations] : paths) {
    for (const auto& [method, operation] : operations.as_object()) {
      const auto& op = operation.as_object();
      INFO(std::string(path) + " " + std::string(method));
      CHECK(ids.insert(std::string(op.at("operationId").as_string())).second);
      CHECK(op.at("responses").as_object().contains("200"));
    }
  }
  CHECK(paths.at("/api/channels/{name}/stop").as_object().at("post").as_object().at("x-artery-role").as_string() ==
        "operator");
  CHECK(paths.at("/api/audit").as_object().at("get").as_object().at("x-artery-role").as_string() == "admin");
}

TEST_CASE("admin API: every protected endpoint refuses an anonymous caller with a JSON 401", "[admin][integration]") {
  RunningEngine running;
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/channels"},
           {"GET", "/api/channels/lab"},
           {"POST", "/api/channels/lab/stop"},
           {"GET", "/api/messages"},
           {"GET", "/api/messages/1"},
           {"POST", "/api/messages/1/reprocess"},
           {"GET", "/api/plugins"},
           {"GET", "/api/events"},
           {"GET", "/api/audit"}}) {
    INFO(method + " " + target);
    auto reply = http_request(running.http_port, {method, target, {}, {}});
    CHECK(reply.status == 401);
    CHECK(reply.header("content-type") == "application/json");
    CHECK(boost::json::parse(reply.body).as_object().at("error").as_string().size() > 0);
  }
  // A forged token is no better than none.
  auto forged = http_get(running.http_port, "/api/channels", {{"Authorization", "Bearer not-a-real-token"}});
  CHECK(forged.status == 401);
  // The channel still runs: the API's refusals touch nothing.
  auto health = http_get(running.http_port, "/api/health");
  CHECK(boost::json::parse(health.body).as_object().at("status").as_string() == "healthy");
}

TEST_CASE("admin API: an unknown API path is a JSON 404, not the console page", "[admin][integration]") {
  RunningEngine running;
  auto reply = http_get(running.http_port, "/api/no-such-thing");
  CHECK(reply.status == 404);
  CHECK(reply.header("content-type") == "application/json");
}

TEST_CASE("artery run --http off serves nothing, and a bad --http is a usage error", "[admin][integration]") {
  TempDir dir("artery-http-off");
  const int mllp_port = free_port();
  write_channel(dir, mllp_port);
  const int http_port = free_port();
  {
    EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                          "off"},
                         dir / "engine.log");
    REQUIRE(engine.wait_for_log("admin API and console are off"));
    CHECK(http_get(http_port, "/api/health").status == 0);
    CHECK(engine.stop(SIGTERM) == 0);
  }
  std::string output;
  CHECK(run_artery({"run", "--channels", (dir / "channels").string(), "--http", "localhost:notaport"}, output) == 2);
  CHECK(output.find("--http takes an address") != std::string::npos);
}

TEST_CASE("artery run: the admin port taken leaves the channels running and says so", "[admin][integration]") {
  TempDir dir("artery-http-taken");
  const int mllp_port = free_port();
  write_channel(dir, mllp_port);
  RunningEngine first;  // holds its admin port
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                        "127.0.0.1:" + std::to_string(first.http_port)},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("the channels run without the admin API and console"));
  CHECK(engine.running());
  CHECK(connect_loopback(mllp_port) >= 0);
}
