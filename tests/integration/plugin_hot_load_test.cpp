// Plugin hot load as an operator does it: `artery run` with a plugins folder,
// messages flowing, a new build of a plugin copied over the old file (in
// place, as `cp` does: the file the old build was loaded from changes under
// it), then POST /api/plugins/reload. The output switches from version 1 to
// version 2 with no message lost, and the old library leaves the process
// (its unique copy is no longer in /proc/<pid>/maps). A build with a wrong
// fingerprint copied over it next is refused, says why in GET
// /api/plugins, and version 2 keeps delivering.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kAdminPassword = "hot load test admin password";
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string maps_of(pid_t pid) { return read_text("/proc/" + std::to_string(pid) + "/maps"); }

// The output file's lines: message name -> the versions that delivered it, in order.
struct Output {
  std::vector<std::pair<std::string, std::string>> lines;  // (version, message)
  std::map<std::string, std::vector<std::string>> by_message;
};

Output read_output(const fs::path& file) {
  Output out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    out.lines.emplace_back(line.substr(0, space), line.substr(space + 1));
    out.by_message[line.substr(space + 1)].push_back(line.substr(0, space));
  }
  return out;
}

json::object plugin_named(const json::value& plugins, const std::string& name) {
  for (const auto& p : plugins.as_object().at("plugins").as_array())
    if (p.as_object().at("name").as_string() == name) return p.as_object();
  return {};
}

std::string text(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

}  // namespace

TEST_CASE("plugin hot load: version 2 replaces version 1 while messages flow, nothing lost, v1 unloaded",
          "[integration][plugins][reload]") {
  TempDir dir("artery-hot-load");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  fs::create_directories(dir / "in");
  fs::copy_file(fs::path(ARTERY_PLUGIN_DIR) / "artery-file.so", plugins / "artery-file.so");
  const fs::path builds = fs::path(ARTERY_BUILD_DIR) / "test-plugins";
  fs::copy_file(builds / "versioned-v1.so", plugins / "versioned.so");
  write_text(dir / "channels/hot.yaml", R"(name: hot
source:
  type: file
  directory: ../in
  glob: "*.txt"
  min_age: 0s
  poll_interval: 20ms
  after: delete
destinations:
  - name: stamped
    type: versioned
    path: ../out/stamped.log
)");
  fs::create_directories(dir / "out");
  const int http_port = free_port();
  ::setenv("ARTERY_ADMIN_PASSWORD", kAdminPassword, 1);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--plugins", plugins.string(), "--http", "127.0.0.1:" + std::to_string(http_port)},
                       dir / "engine.log");
  ::unsetenv("ARTERY_ADMIN_PASSWORD");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  REQUIRE(engine.wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port)));

  json::object credentials{{"user", "admin"}, {"password", kAdminPassword}};
  auto login = http_post_json(http_port, "/api/login", json::serialize(credentials));
  REQUIRE(login.status == 200);
  const std::string set_cookie = login.header("set-cookie");
  const Headers read = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  Headers write = read;
  write.emplace_back("X-CSRF-Token", std::string(json::parse(login.body).as_object().at("csrf_token").as_string()));

  auto before = http_get(http_port, "/api/plugins", read);
  REQUIRE(before.status == 200);
  auto v1 = plugin_named(json::parse(before.body), "versioned");
  REQUIRE(!v1.empty());
  CHECK(text(v1, "version") == "1.0.0");
  CHECK(text(v1, "file") == (plugins / "versioned.so").string());
  const std::string v1_copy = text(v1, "copy");
  INFO("v1 runs from " << v1_copy);
  // Loaded from its own copy under the data folder, not from the plugins folder.
  CHECK(v1_copy.rfind((dir / "data" / "plugin-copies").string(), 0) == 0);
  CHECK(maps_of(engine.pid()).find(v1_copy) != std::string::npos);

  // The sender: one file per message, written under a dot name and renamed
  // in, so the source never reads one half-written.
  std::atomic<int> sent{0};
  std::atomic<bool> sending{true};
  std::thread feeder([&] {
    while (sending) {
      const int n = sent + 1;
      char name[32];
      std::snprintf(name, sizeof name, "msg-%05d", n);
      write_text(dir / "in" / (std::string(".") + name), name);
      fs::rename(dir / "in" / (std::string(".") + name), dir / "in" / (std::string(name) + ".txt"));
      sent = n;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  const fs::path out_file = dir / "out/stamped.log";
  REQUIRE(eventually([&] { return read_output(out_file).lines.size() >= 30; }, std::chrono::seconds(20)));

  // A new build over the old file, in place, while messages flow.
  fs::copy_file(builds / "versioned-v2.so", plugins / "versioned.so", fs::copy_options::overwrite_existing);
  auto reload = http_request(http_port, {"POST", "/api/plugins/reload", write, "{}"});
  const int sent_at_reload = sent;
  INFO(reload.body);
  REQUIRE(reload.status == 200);
  auto outcome = json::parse(reload.body).as_object();
  CHECK(outcome.at("ok").as_bool());
  CHECK(json::serialize(outcome.at("replaced")) == R"(["versioned"])");
  CHECK(json::serialize(outcome.at("redeployed")) == R"(["hot"])");

  // Keep sending for a while on version 2, then stop and let everything land.
  REQUIRE(eventually([&] { return sent >= sent_at_reload + 100; }, std::chrono::seconds(20)));
  sending = false;
  feeder.join();
  const int total = sent;
  char last_name[32];
  std::snprintf(last_name, sizeof last_name, "msg-%05d", total);
  Output output;
  const bool all_in = eventually(
      [&] {
        output = read_output(out_file);
        return static_cast<int>(output.by_message.size()) == total;
      },
      std::chrono::seconds(30));
  INFO(engine.log());
  REQUIRE(all_in);

  // Nothing lost, nothing twice, every line from version 1 or 2, and once
  // version 2 delivered, version 1 never again.
  int v1_lines = 0, v2_lines = 0;
  bool switched = false, back_to_v1 = false;
  for (const auto& [version, message] : output.lines) {
    if (version == "v1") ++v1_lines, back_to_v1 = back_to_v1 || switched;
    else if (version == "v2") ++v2_lines, switched = true;
    else FAIL("unexpected line " << version << " " << message);
  }
  CHECK(static_cast<int>(output.lines.size()) == total);
  for (const auto& [message, versions] : output.by_message) {
    INFO(message);
    CHECK(versions.size() == 1);
  }
  CHECK(v1_lines >= 30);
  CHECK(v2_lines >= 100);
  CHECK_FALSE(back_to_v1);
  CHECK(output.by_message[last_name] == std::vector<std::string>{"v2"});

  // Version 1 is gone from the process: nothing referenced it after the redeploy.
  CHECK(eventually([&] { return maps_of(engine.pid()).find(v1_copy) == std::string::npos; },
                   std::chrono::seconds(10)));
  CHECK_FALSE(fs::exists(v1_copy));
  auto after = json::parse(http_get(http_port, "/api/plugins", read).body);
  auto v2 = plugin_named(after, "versioned");
  CHECK(text(v2, "version") == "2.0.0");
  const std::string v2_copy = text(v2, "copy");
  CHECK(v2_copy != v1_copy);
  CHECK(maps_of(engine.pid()).find(v2_copy) != std::string::npos);
  CHECK(v2.at("last_reload").as_object().at("ok").as_bool());
  CHECK(text(v2.at("last_reload").as_object(), "detail") == "replaced 1.0.0 by 2.0.0");
  CHECK(v2.at("loaded_at_ms").as_int64() > v1.at("loaded_at_ms").as_int64());
  CHECK(after.as_object().at("retired").as_array().empty());

  // A build with the wrong fingerprint over it: refused, version 2 stays and says why.
  fs::copy_file(builds / "versioned-v3-other-compiler.so", plugins / "versioned.so",
                fs::copy_options::overwrite_existing);
  auto refused = http_request(http_port, {"POST", "/api/plugins/reload", write, "{}"});
  INFO(refused.body);
  CHECK(refused.status == 409);
  auto refusal = json::parse(refused.body).as_object();
  CHECK_FALSE(refusal.at("ok").as_bool());
  REQUIRE(refusal.at("refused").as_array().size() == 1);
  const auto& why = refusal.at("refused").as_array().at(0).as_object();
  CHECK(text(why, "file") == (plugins / "versioned.so").string());
  CHECK(text(why, "reason").find("it was built with Clang") != std::string::npos);
  CHECK(refusal.at("redeployed").as_array().empty());

  auto listing = json::parse(http_get(http_port, "/api/plugins", read).body);
  auto still = plugin_named(listing, "versioned");
  CHECK(text(still, "version") == "2.0.0");
  CHECK(text(still, "copy") == v2_copy);
  const auto& last = still.at("last_reload").as_object();
  CHECK_FALSE(last.at("ok").as_bool());
  CHECK(text(last, "error").find("it was built with Clang") != std::string::npos);
  CHECK(listing.as_object().at("refused").as_array().size() == 1);
  CHECK(engine.log().find("refused " + (plugins / "versioned.so").string() + ": it was built with Clang") !=
        std::string::npos);

  write_text(dir / "in/after-refusal.txt", "after-refusal");
  CHECK(eventually([&] { return read_output(out_file).by_message["after-refusal"] == std::vector<std::string>{"v2"}; },
                   std::chrono::seconds(20)));
  CHECK(engine.stop(SIGTERM) == 0);
}
