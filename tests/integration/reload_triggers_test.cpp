// The on-demand reload triggers with file watching off (reload.watch: false):
// SIGHUP, POST /api/reload and `artery reload` each carry out a reload and
// report what it really did; a trigger that arrives while a reload runs is
// carried out after it, never dropped.
#include "integration/reload_test_engine.hpp"

#include <csignal>
#include <future>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Lua limits raised for the slow channel, whose script takes a second of CPU
// to load (checking it and starting it each load it once).
constexpr const char* kNoWatch = "reload:\n  watch: false\nlua:\n  instructions: 4000000000\n";

json::object outcome_of(const HttpReply& reply) {
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return json::parse(reply.body).as_object();
}

bool has_change(const json::object& outcome, const std::string& channel, const std::string& action) {
  for (const auto& change : outcome.at("changes").as_array())
    if (change.as_object().at("channel").as_string() == channel && change.as_object().at("action").as_string() == action)
      return true;
  return false;
}

}  // namespace

TEST_CASE("reload triggers: SIGHUP, POST /api/reload and artery reload report the real outcome",
          "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("lab");
  e.add_channel("other");
  e.start(kNoWatch);
  REQUIRE(e.answer("lab") == "lab v1");

  // Not watched: an edit alone changes nothing.
  write_text(e.script("lab"), ReloadEngine::script_text("lab", 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(e.answer("lab") == "lab v1");
  ::kill(e.engine->pid(), SIGHUP);
  REQUIRE(e.answers("lab", "lab v2"));
  CHECK(e.engine->wait_for_log("(SIGHUP): 1 scripts reloaded, 1 unchanged"));

  write_text(e.script("lab"), ReloadEngine::script_text("lab", 3));
  auto outcome = outcome_of(e.post("/api/reload"));
  CHECK(outcome.at("ok").as_bool());
  CHECK(has_change(outcome, "lab", "scripts reloaded"));
  CHECK(outcome.at("unchanged").as_int64() == 1);
  CHECK(e.answer("lab") == "lab v3");
  // One channel by name, from its file, even unchanged.
  outcome = outcome_of(e.post("/api/reload", R"({"channel":"other"})"));
  CHECK(has_change(outcome, "other", "redeployed"));
  CHECK(e.post("/api/reload", "[1]").status == 400);

  // artery reload with an operator's token: an invalid file is exit 1 with its line.
  auto token = json::parse(e.post("/api/tokens", R"({"name":"reload test"})").body).as_object();
  const std::string secret(token.at("token").as_string());
  write_text(e.dir / "token", secret);
  const std::string server = "http://127.0.0.1:" + std::to_string(e.http_port);
  write_text(e.yaml("lab"), e.channel_yaml("lab", "colour: blue\n"));
  std::string output;
  CHECK(run_artery({"reload", "--server", server, "--token-file", (e.dir / "token").string()}, output) == 1);
  CHECK_THAT(output, Catch::Contains("! lab: kept (failed)") && Catch::Contains("lab.yaml:11:1: unknown key 'colour'") &&
                         Catch::Contains("not everything was applied"));
  CHECK(e.answer("lab") == "lab v3");
  write_text(e.yaml("lab"), e.channel_yaml("lab"));
  CHECK(run_artery({"reload", "--server", server, "--token-file", (e.dir / "token").string()}, output) == 0);
  CHECK_THAT(output, Catch::Contains("lab: restored"));
  CHECK(run_artery({"reload", "--channel", "lab", "--server", server, "--token-file", (e.dir / "token").string()},
                   output) == 0);
  CHECK_THAT(output, Catch::Contains("lab: redeployed"));
  // The plugins folder, through the same queue: nothing changed there, nothing redeployed.
  CHECK(run_artery({"reload", "--plugins", "--server", server, "--token-file", (e.dir / "token").string()},
                   output) == 0);
  CHECK_THAT(output, Catch::Contains("plugins reloaded; channels redeployed onto new plugins: none"));
  CHECK(run_artery({"reload", "extra"}, output) == 2);
  CHECK(e.answer("lab") == "lab v3");
}

TEST_CASE("reload triggers: a trigger sent during a running reload is carried out after it",
          "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("fast");
  // A script whose loading takes a second and says when it starts.
  const std::string slow_top =
      "print('slow script loading')\nlocal began = os.clock()\nwhile os.clock() - began < 1.0 do end\n";
  write_text(e.script("slow"), ReloadEngine::script_text("slow", 1, slow_top));
  write_text(e.yaml("slow"), e.channel_yaml("slow"));
  e.start(kNoWatch);
  REQUIRE(e.answer("slow") == "slow v1");
  const std::size_t loads_at_start = e.log_count("slow script loading");

  write_text(e.script("slow"), ReloadEngine::script_text("slow", 2, slow_top));
  auto first = std::async(std::launch::async, [&] { return e.post("/api/reload"); });
  // The first reload has read the files and is checking the slow script.
  REQUIRE(eventually([&] { return e.log_count("slow script loading") > loads_at_start; }));
  CHECK(json::parse(e.get("/api/reload").body).as_object().at("running").as_bool());
  write_text(e.script("fast"), ReloadEngine::script_text("fast", 2));
  ::kill(e.engine->pid(), SIGHUP);
  auto second = std::async(std::launch::async, [&] { return e.post("/api/reload"); });

  auto one = outcome_of(first.get());
  auto two = outcome_of(second.get());
  CHECK(has_change(one, "slow", "scripts reloaded"));
  CHECK_FALSE(has_change(one, "fast", "scripts reloaded"));
  // The SIGHUP and the second POST, merged into the next reload.
  CHECK(two.at("id").as_int64() == one.at("id").as_int64() + 1);
  CHECK(has_change(two, "fast", "scripts reloaded"));
  const std::string triggers = json::serialize(two.at("triggers"));
  CHECK_THAT(triggers, Catch::Contains("SIGHUP") && Catch::Contains("POST /api/reload"));
  CHECK(two.at("started_ms").as_int64() >= one.at("finished_ms").as_int64());
  CHECK(e.answer("fast") == "fast v2");
  CHECK(e.answer("slow") == "slow v2");
}
