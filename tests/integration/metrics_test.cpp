// GET /metrics the way an operator's Prometheus reaches it: the real engine
// (`artery run --config ... --http ...`) with an MLLP channel, HL7 messages
// sent over loopback, the metrics read over real HTTP, and the body checked
// by Prometheus's own `promtool check metrics`.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace artery::testing;

namespace {

// The value of one exact series (`name{labels}`) in an exposition, NaN when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return std::nan("");
}

// `promtool check metrics` on `text`: its exit status, and what it said.
int promtool_check(const TempDir& dir, const std::string& text, std::string& said) {
  auto file = dir / "scrape.txt";
  write_text(file, text);
  std::string command = "promtool check metrics < '" + file.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) said.append(buffer, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

class MllpClient {
 public:
  explicit MllpClient(int port) : fd_(connect_loopback(port)) {
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~MllpClient() { ::close(fd_); }
  // Sends one message and returns its ACK's content ("" on timeout).
  std::string exchange(const std::string& hl7) {
    std::string frame = "\x0b" + hl7 + "\x1c\x0d";
    REQUIRE(::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size()));
    std::string got;
    char chunk[4096];
    while (got.find("\x1c\x0d") == std::string::npos) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      got.append(chunk, static_cast<std::size_t>(n));
    }
    return got;
  }

 private:
  int fd_;
};

std::string hl7(const std::string& event, const std::string& control_id) {
  return "MSH|^~\\&|LAB|WARD|ARTERY|HOSP|20261201120000||ADT^" + event + "|" + control_id +
         "|P|2.5\rPID|1||12345^^^HOSP^MR||DOE^JANE\r";
}

// An engine with one MLLP channel: A08 updates are filtered, the rest are
// written to one file each, named by control id.
struct MetricsEngine {
  TempDir dir{"artery-metrics"};
  int mllp_port = free_port();
  int http_port = free_port();
  std::unique_ptr<EngineProcess> engine;

  // `admin_password`: the first admin's (ARTERY_ADMIN_PASSWORD), to log in with.
  explicit MetricsEngine(const std::string& engine_config, const std::string& admin_password = "") {
    write_text(dir / "artery.yaml", engine_config + "channels: channels\ndata: data\n");
    write_text(dir / "scripts/adt.lua",
               "local M = {}\n"
               "function M.filter(msg, ctx) return msg:get('MSH-9.2') ~= 'A08' end\n"
               "function M.transform(msg, ctx) ctx.vars.control_id = msg:get('MSH-10') end\n"
               "return M\n");
    write_text(dir / "channels/adt-in.yaml",
               "name: adt-in\n"
               "source:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(mllp_port) + "\n"
               "script: ../scripts/adt.lua\n"
               "destinations:\n"
               "  - name: archive\n    type: file\n    directory: ../out\n    filename: \"${control_id}.hl7\"\n");
    if (!admin_password.empty()) ::setenv("ARTERY_ADMIN_PASSWORD", admin_password.c_str(), 1);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string(), "--http",
                                 "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    REQUIRE(engine->wait_for_log("admin API and console on http://"));
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
};

}  // namespace

TEST_CASE("GET /metrics counts MLLP traffic and passes promtool check metrics") {
  MetricsEngine m("metrics_public: true\n");
  {
    MllpClient client(m.mllp_port);
    for (const auto& [event, id] : std::vector<std::pair<std::string, std::string>>{
             {"A01", "M-1"}, {"A08", "M-2"}, {"A01", "M-3"}, {"A04", "M-4"}})
      REQUIRE(client.exchange(hl7(event, id)).find("MSA|AA|" + id) != std::string::npos);
  }
  // Deliveries are asynchronous to the ACK: wait until all three are written.
  std::string text;
  REQUIRE(eventually([&] {
    auto answer = http_get(m.http_port, "/metrics");
    text = answer.body;
    return answer.status == 200 &&
           sample(text, R"(artery_messages_total{channel="adt-in",destination="archive",state="sent"})") == 3 &&
           sample(text, R"(artery_connector_connections_open{channel="adt-in",connector="source"})") == 0;
  }, std::chrono::seconds(20)));
  INFO(text);

  CHECK(http_get(m.http_port, "/metrics").header("content-type") == "text/plain; version=0.0.4; charset=utf-8");

  CHECK(sample(text, R"(artery_channel_messages_total{channel="adt-in",state="received"})") == 4);
  CHECK(sample(text, R"(artery_channel_messages_total{channel="adt-in",state="filtered"})") == 1);
  CHECK(sample(text, R"(artery_channel_messages_total{channel="adt-in",state="sent"})") == 3);
  CHECK(sample(text, R"(artery_channel_messages_total{channel="adt-in",state="errored"})") == 0);
  CHECK(sample(text, R"(artery_messages_total{channel="adt-in",destination="archive",state="errored"})") == 0);
  CHECK(sample(text, R"(artery_queue_depth{channel="adt-in",destination="archive"})") == 0);
  CHECK(sample(text, R"(artery_channel_state{channel="adt-in",state="started"})") == 1);
  CHECK(sample(text, R"(artery_channel_state{channel="adt-in",state="stopped"})") == 0);

  // Every message committed is in the histogram, the filtered one too.
  CHECK(sample(text, R"(artery_processing_seconds_count{channel="adt-in"})") == 4);
  CHECK(sample(text, R"(artery_processing_seconds_bucket{channel="adt-in",le="+Inf"})") == 4);
  CHECK(sample(text, R"(artery_processing_seconds_bucket{channel="adt-in",le="0.00005"})") >= 0);
  CHECK(sample(text, R"(artery_processing_seconds_sum{channel="adt-in"})") > 0);

  CHECK(sample(text, R"(artery_connector_requests_total{channel="adt-in",connector="source"})") == 4);
  CHECK(sample(text, R"(artery_connector_connections_total{channel="adt-in",connector="source"})") == 1);
  CHECK(sample(text, R"(artery_connector_bytes_received_total{channel="adt-in",connector="source"})") > 0);
  CHECK(sample(text, R"(artery_connector_bytes_sent_total{channel="adt-in",connector="source"})") > 0);
  CHECK(sample(text, R"(artery_connector_errors_total{channel="adt-in",connector="source",kind="protocol"})") == 0);
  CHECK(sample(text, R"(artery_connector_requests_total{channel="adt-in",connector="archive"})") == 3);

  CHECK(sample(text, "process_resident_memory_bytes") > 1'000'000);
  CHECK(sample(text, "process_open_fds") > 3);
  CHECK(sample(text, "process_cpu_seconds_total") >= 0);
  CHECK(sample(text, "process_start_time_seconds") > 1.7e9);
  CHECK(sample(text, "artery_uptime_seconds") > 0);

  std::string said;
  CHECK(promtool_check(m.dir, text, said) == 0);
  CHECK(said.empty());  // promtool prints one line per problem it finds, lint warnings included
}

TEST_CASE("GET /metrics needs a login unless the engine config opens it and a viewer's API token is enough") {
  const std::string admin_password = "the metrics test admin's password";
  MetricsEngine m("", admin_password);  // metrics_public defaults to false
  auto anonymous = http_get(m.http_port, "/metrics");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.body.find("not logged in") != std::string::npos);
  CHECK(anonymous.body.find("artery_") == std::string::npos);

  // How a Prometheus server scrapes a closed /metrics: a viewer's API token
  // as `authorization: {credentials: ...}` in its scrape config.
  auto login = [&](const std::string& user, const std::string& password) {
    auto reply = http_post_json(m.http_port, "/api/login",
                                boost::json::serialize(boost::json::object{{"user", user}, {"password", password}}));
    INFO(reply.body);
    REQUIRE(reply.status == 200);
    auto cookie = reply.header("set-cookie");
    std::string csrf(boost::json::parse(reply.body).as_object().at("csrf_token").as_string());
    return std::vector<std::pair<std::string, std::string>>{{"Cookie", cookie.substr(0, cookie.find(';'))},
                                                            {"X-CSRF-Token", csrf}};
  };
  auto admin = login("admin", admin_password);
  auto added = http_post_json(m.http_port, "/api/users",
                              R"({"name":"prometheus","role":"viewer","password":"scraper's long password"})", admin);
  INFO(added.body);
  REQUIRE(added.status == 201);
  auto viewer = login("prometheus", "scraper's long password");
  auto created = http_post_json(m.http_port, "/api/tokens", R"({"name":"prometheus scrape"})", viewer);
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string token(boost::json::parse(created.body).as_object().at("token").as_string());

  auto scraped = http_get(m.http_port, "/metrics", {{"Authorization", "Bearer " + token}});
  CHECK(scraped.status == 200);
  CHECK(sample(scraped.body, R"(artery_channel_state{channel="adt-in",state="started"})") == 1);
  CHECK(http_get(m.http_port, "/metrics", {{"Authorization", "Bearer not-a-token"}}).status == 401);
}
