// What the hot-reload tests share: `artery run` on a temp folder of MLLP
// channels whose scripts answer "<name> v<version>" (so a sender sees which
// version took its message), an admin login, and the API calls they read.
#pragma once
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <memory>

namespace artery::testing {

class ReloadEngine {
 public:
  static constexpr const char* kPassword = "the reload tests' admin password";
  using Headers = std::vector<std::pair<std::string, std::string>>;

  TempDir dir{"artery-reload"};
  int http_port = free_port();
  std::map<std::string, int> ports;  // channel -> its MLLP port
  std::unique_ptr<EngineProcess> engine;
  Headers read, write;  // a logged-in admin's headers for GET / for POST

  ReloadEngine() {
    std::filesystem::create_directories(dir / "channels");
    std::filesystem::create_directories(dir / "scripts");
  }

  int port_of(const std::string& name) {
    auto it = ports.find(name);
    if (it == ports.end()) it = ports.emplace(name, free_port()).first;
    return it->second;
  }
  std::filesystem::path yaml(const std::string& name) const { return dir / ("channels/" + name + ".yaml"); }
  std::filesystem::path script(const std::string& name) const { return dir / ("scripts/" + name + ".lua"); }

  // The channel's YAML (`extra` appended at the top level) and its script.
  std::string channel_yaml(const std::string& name, const std::string& extra = "") {
    return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port_of(name)) +
           "\nscript: ../scripts/" + name + ".lua\ndestinations:\n  - name: archive\n    type: file\n"
           "    directory: " + (dir / ("out-" + name)).string() + "\n    filename: ${control_id:-message}.hl7\n" + extra;
  }
  static std::string script_text(const std::string& name, int version, const std::string& top = "") {
    return top + "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.response = \"" + name + " v" +
           std::to_string(version) + "\"\nend\nreturn M\n";
  }
  void add_channel(const std::string& name, int version = 1) {
    write_text(script(name), script_text(name, version));
    write_text(yaml(name), channel_yaml(name));
  }

  void start(const std::string& artery_yaml = "") {
    write_text(dir / "artery.yaml", artery_yaml);
    ::setenv("ARTERY_ADMIN_PASSWORD", kPassword, 1);
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--config", (dir / "artery.yaml").string(), "--channels",
                                 (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                                 "127.0.0.1:" + std::to_string(http_port)},
        dir / "engine.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    const bool up = engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port));
    INFO(engine->log());
    REQUIRE(up);
    auto login = http_post_json(http_port, "/api/login",
                                std::string(R"({"user":"admin","password":")") + kPassword + "\"}");
    REQUIRE(login.status == 200);
    const std::string cookie = login.header("set-cookie").substr(0, login.header("set-cookie").find(';'));
    const std::string csrf(boost::json::parse(login.body).as_object().at("csrf_token").as_string());
    read = {{"Cookie", cookie}};
    write = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  }

  // What the channel answers a message now ("" when nothing answers).
  std::string answer(const std::string& name, const std::string& control_id = "RELOAD-1") {
    MllpClient client(port_of(name), 5);
    return client.ok() ? client.exchange(hl7_message(control_id)) : std::string();
  }
  bool answers(const std::string& name, const std::string& expected) {
    return eventually([&] { return answer(name) == expected; }, std::chrono::seconds(15));
  }

  HttpReply get(const std::string& target) { return http_get(http_port, target, read); }
  HttpReply post(const std::string& target, const std::string& body = "{}") {
    return http_request(http_port, {"POST", target, write, body}, 60'000);
  }
  // GET /api/channels/{name}; null when it is not deployed.
  boost::json::value channel(const std::string& name) {
    auto reply = get("/api/channels/" + name);
    if (reply.status != 200) return nullptr;
    return boost::json::parse(reply.body);
  }
  // last_reload.at of the channel, 0 when none.
  std::int64_t last_reload_at(const std::string& name) {
    auto json = channel(name);
    if (!json.is_object()) return 0;
    const auto& last = json.as_object().at("last_reload");
    return last.is_object() ? last.as_object().at("at").as_int64() : 0;
  }
  // How many times the log has this text.
  std::size_t log_count(const std::string& text) const {
    const std::string log = engine->log();
    std::size_t count = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
    return count;
  }
};

}  // namespace artery::testing
