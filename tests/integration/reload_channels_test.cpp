// Hot reload as an operator meets it: channel YAML and Lua in a folder,
// `artery run` watching it, the files edited, saved, deleted and put back,
// and the result seen where a user looks: what the channel answers over MLLP,
// GET /api/channels/{name} (last_reload), GET /api/alerts and the log.
#include "integration/reload_test_engine.hpp"

#include <csignal>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST_CASE("reload: editing one channel redeploys only it, a script edit reloads its scripts",
          "[reload][integration]") {
  ReloadEngine e;
  for (const char* name : {"alpha", "beta", "gamma"}) e.add_channel(name);
  e.start();
  REQUIRE(e.answer("alpha") == "alpha v1");
  // A sender that stays connected to beta: its connection must outlive alpha's redeploy.
  MllpClient beta(e.port_of("beta"));
  REQUIRE(beta.exchange(hl7_message("BETA-1")) == "beta v1");
  const auto beta_before = e.channel("beta").as_object().at("counters").as_object().at("received").as_int64();

  // The YAML changes (a description): the channel is redeployed.
  write_text(e.yaml("alpha"), e.channel_yaml("alpha", "description: now with a description\n"));
  REQUIRE(eventually([&] { return e.last_reload_at("alpha") > 0; }));
  auto alpha = e.channel("alpha").as_object();
  CHECK(alpha.at("description").as_string() == "now with a description");
  CHECK(alpha.at("last_reload").as_object().at("ok").as_bool());
  CHECK(e.log_count("[reload] alpha redeployed (its file changed)") == 1);

  // Only its script changes: the new script answers.
  const auto first_reload = e.last_reload_at("alpha");
  write_text(e.script("alpha"), ReloadEngine::script_text("alpha", 2));
  REQUIRE(e.answers("alpha", "alpha v2"));
  CHECK(e.last_reload_at("alpha") >= first_reload);
  CHECK(e.log_count("[reload] alpha scripts reloaded") == 1);

  // The others were not touched: never stopped, never reloaded, beta's
  // sender still connected, its counters where they were.
  for (const char* other : {"beta", "gamma"}) {
    INFO(other);
    CHECK(e.log_count(std::string("[") + other + "] stopped") == 0);
    CHECK(e.log_count(std::string("[") + other + "] started") == 1);
    CHECK(e.channel(other).as_object().at("last_reload").is_null());
  }
  CHECK(e.channel("beta").as_object().at("counters").as_object().at("received").as_int64() == beta_before);
  CHECK(beta.exchange(hl7_message("BETA-2")) == "beta v1");
  auto last = json::parse(e.get("/api/reload").body).as_object().at("last").as_object();
  CHECK(last.at("unchanged").as_int64() == 2);
}

TEST_CASE("reload: an invalid edit keeps the old version serving and is reported in the log, last_reload and "
          "an alert event",
          "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("lab");
  e.add_channel("other");
  e.start();
  REQUIRE(e.answer("lab") == "lab v1");

  // A key the channel does not have, on line 11.
  write_text(e.yaml("lab"), e.channel_yaml("lab", "colour: blue\n"));
  REQUIRE(eventually([&] { return e.last_reload_at("lab") > 0; }));
  auto last = e.channel("lab").as_object().at("last_reload").as_object();
  CHECK_FALSE(last.at("ok").as_bool());
  const std::string error(last.at("error").as_string());
  CHECK_THAT(error, Catch::Contains("lab.yaml:11:1: unknown key 'colour'"));
  CHECK(e.channel("lab").as_object().at("state").as_string() == "started");
  CHECK(e.answer("lab") == "lab v1");  // the running version still serves
  CHECK(e.engine->wait_for_log("lab.yaml is not valid; the running version of lab stays"));
  CHECK(e.engine->wait_for_log("lab.yaml:11:1: unknown key 'colour'"));
  auto alerts = json::parse(e.get("/api/alerts").body).as_object().at("events").as_array();
  REQUIRE_FALSE(alerts.empty());
  CHECK(alerts[0].as_object().at("kind").as_string() == "reload_failed");
  CHECK(alerts[0].as_object().at("channel").as_string() == "lab");
  CHECK_THAT(std::string(alerts[0].as_object().at("reason").as_string()), Catch::Contains("lab.yaml:11:1"));

  // A script that does not compile: refused the same way, with its line.
  write_text(e.yaml("lab"), e.channel_yaml("lab"));
  REQUIRE(eventually([&] { return e.channel("lab").as_object().at("last_reload").as_object().at("ok").as_bool(); }));
  const auto restored_at = e.last_reload_at("lab");
  write_text(e.script("lab"), "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.response = \"lab v2\"\n"
                              "end end\nreturn M\n");
  REQUIRE(eventually([&] { return e.last_reload_at("lab") > restored_at; }));
  last = e.channel("lab").as_object().at("last_reload").as_object();
  CHECK_FALSE(last.at("ok").as_bool());
  CHECK_THAT(std::string(last.at("error").as_string()), Catch::Contains("lab.lua:4:"));
  CHECK(e.answer("lab") == "lab v1");

  // Fixed: the new version takes over, and last_reload says so.
  write_text(e.script("lab"), ReloadEngine::script_text("lab", 2));
  REQUIRE(e.answers("lab", "lab v2"));
  CHECK(e.channel("lab").as_object().at("last_reload").as_object().at("ok").as_bool());
  CHECK(e.log_count("[other] stopped") == 0);
}

TEST_CASE("reload: a new file deploys, a deleted one undeploys and its queued deliveries come back with it",
          "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("lab");
  const int receiver_port = e.port_of("receiver");
  // Forwards to a receiver that is not there yet: deliveries queue.
  auto forwarder = [&] {
    return "name: forwarder\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(e.port_of("forwarder")) +
           "\ndestinations:\n  - name: onward\n    type: mllp\n    remote: 127.0.0.1:" +
           std::to_string(receiver_port) +
           "\n    connect_timeout: 200ms\n    retry: {max: 1000, initial: 100ms, max_delay: 300ms}\n";
  };
  write_text(e.yaml("forwarder"), forwarder());
  e.start();
  for (int i = 1; i <= 3; ++i) {
    MllpClient client(e.port_of("forwarder"));
    CHECK_THAT(client.exchange(hl7_message("QUEUED-" + std::to_string(i))), Catch::Contains("MSA|AA|QUEUED-"));
  }
  auto queued = [&] {
    auto json = e.channel("forwarder");
    return json.is_object() ? json.as_object().at("counters").as_object().at("queued").as_int64() : -1;
  };
  REQUIRE(eventually([&] { return queued() == 3; }));

  fs::remove(e.yaml("forwarder"));
  REQUIRE(eventually([&] { return e.get("/api/channels/forwarder").status == 404; }));
  CHECK(e.engine->wait_for_log("forwarder undeployed (file deleted); its queued deliveries stay in the store"));
  CHECK(e.answer("forwarder").empty());  // its port is closed

  // The receiver appears (a new file) and the forwarder comes back: the
  // three deliveries it left queued reach the receiver.
  // No script: it answers with a real ACK, which the forwarder's mllp destination reads.
  std::string receiver = e.channel_yaml("receiver");
  receiver.replace(receiver.find("script: ../scripts/receiver.lua\n"), 32, "");
  write_text(e.yaml("receiver"), receiver);
  write_text(e.yaml("forwarder"), forwarder());
  REQUIRE(eventually([&] { return queued() == 0; }));
  auto received = [&] {
    auto json = e.channel("receiver");
    return json.is_object() ? json.as_object().at("counters").as_object().at("received").as_int64() : -1;
  };
  REQUIRE(eventually([&] { return received() == 3; }));
  auto found = json::parse(e.get("/api/messages?channel=receiver&limit=10").body).as_object();
  const std::string listed = json::serialize(found);
  for (int i = 1; i <= 3; ++i) CHECK_THAT(listed, Catch::Contains("QUEUED-" + std::to_string(i)));
  CHECK(e.channel("forwarder").as_object().at("counters").as_object().at("sent").as_int64() == 3);
  CHECK(e.log_count("[lab] stopped") == 0);
}

TEST_CASE("reload: an operator's stop survives a reload of the channel", "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("lab");
  e.start();
  REQUIRE(e.post("/api/channels/lab/stop").status == 200);
  write_text(e.yaml("lab"), e.channel_yaml("lab", "description: edited while stopped\n"));
  REQUIRE(eventually([&] { return e.last_reload_at("lab") > 0; }));
  auto lab = e.channel("lab").as_object();
  CHECK(lab.at("state").as_string() == "stopped");
  CHECK(lab.at("description").as_string() == "edited while stopped");
  CHECK(e.answer("lab").empty());
}

TEST_CASE("reload: an editor's save-as-rename is one reload", "[reload][integration]") {
  ReloadEngine e;
  e.add_channel("lab");
  e.start();
  // What vim does with `backupcopy=no`: the old file renamed to a backup, the
  // new one written and closed, the backup removed; a swap file beside it.
  const fs::path file = e.yaml("lab");
  write_text(e.dir / "channels/.lab.yaml.swp", "swap");
  fs::rename(file, e.dir / "channels/lab.yaml~");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_text(file, e.channel_yaml("lab", "description: saved by an editor\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fs::remove(e.dir / "channels/lab.yaml~");
  fs::remove(e.dir / "channels/.lab.yaml.swp");
  REQUIRE(eventually([&] { return e.last_reload_at("lab") > 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // any second reload would be done by now
  CHECK(e.log_count("[reload] lab redeployed") == 1);
  CHECK(e.log_count("[lab] stopped") == 1);
  CHECK(e.log_count("[reload] reload #") == 1);
  CHECK(e.log_count("undeployed") == 0);
  CHECK(e.answer("lab") == "lab v1");
}
