// The alert runner's public side, as the admin API uses it: status(),
// recent() and the sink, with notifications really sent to a webhook
// endpoint on loopback. Samples are made up and fed to evaluate(), so the
// timing is exact; the runner's own thread samples an empty registry meanwhile.
#include "alerts/alert_runner.hpp"
#include "control/channel_registry.hpp"
#include "plugin/plugin_registry.hpp"
#include "store/message_store.hpp"

#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/webhook_sink.hpp"

#include <catch2/catch.hpp>

#include <mutex>

using namespace artery;
using namespace std::chrono_literals;
using artery::testing::eventually;

TEST_CASE("alert runner: status, recent events and the sink, with a real webhook") {
  artery::testing::TempDir dir;
  std::string error;
  auto store = MessageStore::open(dir / "artery.db", Durability::normal, error);
  REQUIRE(store);
  PluginRegistry plugins;
  RuntimeEnvironment env;
  env.store = store.get();
  env.plugins = &plugins;
  env.data_dir = dir.path();
  ChannelRegistry registry(env);

  artery::testing::WebhookSink hook(artery::testing::free_port());
  hook.start();
  AlertsConfig config;
  config.interval = 100ms;
  AlertTarget target;
  target.name = "hook";
  target.type = "webhook";
  target.options.tree.put("url", hook.url("/alerts"));
  config.targets.push_back(target);
  AlertRule rule;
  rule.name = "errors";
  rule.channel = "*";
  rule.condition = {AlertCondition::Kind::errors, 2, 10s};
  rule.quiet_period = 1h;
  rule.notify = {"hook"};
  config.rules.push_back(rule);

  AlertRunner runner(config, registry, *store);
  std::mutex mutex;
  std::vector<AlertEvent> sunk;
  runner.set_sink([&](const AlertEvent& e) {
    std::lock_guard lock(mutex);
    sunk.push_back(e);
  });
  auto sunk_count = [&] {
    std::lock_guard lock(mutex);
    return sunk.size();
  };
  REQUIRE(runner.start(error));

  ChannelSample lab;
  lab.channel = "lab";
  lab.state = ChannelState::started;
  const std::int64_t t0 = 1'796'126'400'000;
  runner.evaluate({lab}, t0);
  CHECK(runner.recent().empty());
  lab.errored = 5;
  runner.evaluate({lab}, t0 + 1000);

  auto status = runner.status();
  REQUIRE(status.size() == 1);
  CHECK(status[0].rule == "errors");
  CHECK(status[0].channel == "lab");
  CHECK(status[0].condition == "errors");
  CHECK(status[0].firing);
  CHECK(status[0].since_ms == t0 + 1000);
  CHECK(status[0].value == 5);
  CHECK(status[0].threshold == 2);
  CHECK(status[0].last_notified_ms == t0 + 1000);

  REQUIRE(eventually([&] { return sunk_count() == 1; }, 10s));
  {
    std::lock_guard lock(mutex);
    CHECK(sunk[0].kind == "fired");
    CHECK(sunk[0].delivery == "ok");
    REQUIRE(sunk[0].deliveries.size() == 1);
    CHECK(sunk[0].deliveries[0].target == "hook");
    CHECK(sunk[0].deliveries[0].ok);
    CHECK(sunk[0].deliveries[0].attempts == 1);
  }
  REQUIRE(hook.requests().size() == 1);
  CHECK_THAT(hook.requests()[0].body, Catch::Contains("\"at_ms\":" + std::to_string(t0 + 1000)));
  CHECK(runner.recent().at(0).delivery == "ok");  // updated in place once sent

  runner.evaluate({lab}, t0 + 20'000);  // no new errors in the window: resolved
  REQUIRE(eventually([&] { return sunk_count() == 2; }, 10s));
  CHECK_FALSE(runner.status().at(0).firing);

  lab.errored = 9;  // again, inside the quiet period: kept quiet, given to the sink at once
  runner.evaluate({lab}, t0 + 21'000);
  REQUIRE(sunk_count() == 3);
  {
    std::lock_guard lock(mutex);
    CHECK(sunk[2].delivery == "suppressed");
    CHECK(sunk[2].deliveries.empty());
  }
  const auto recent = runner.recent();
  REQUIRE(recent.size() == 3);
  CHECK(recent[0].kind == "fired");  // newest first
  CHECK(recent[1].kind == "resolved");
  CHECK(recent[0].id > recent[1].id);
  CHECK(hook.requests().size() == 2);
  runner.stop();
}

TEST_CASE("alert runner: a target that keeps failing ends as failed with the reason") {
  artery::testing::TempDir dir;
  std::string error;
  auto store = MessageStore::open(dir / "artery.db", Durability::normal, error);
  REQUIRE(store);
  PluginRegistry plugins;
  RuntimeEnvironment env;
  env.store = store.get();
  env.plugins = &plugins;
  ChannelRegistry registry(env);

  AlertsConfig config;
  AlertTarget target;
  target.name = "gone";
  target.type = "webhook";
  // Nothing listens there: refused, retried after 1 s, 2 s and 4 s.
  target.options.tree.put("url", "http://127.0.0.1:" + std::to_string(artery::testing::free_port()) + "/x");
  config.targets.push_back(target);
  AlertRule rule;
  rule.name = "down";
  rule.channel = "lab";
  rule.condition.kind = AlertCondition::Kind::not_started;
  rule.notify = {"gone"};
  config.rules.push_back(rule);
  AlertRunner runner(config, registry, *store);
  std::mutex mutex;
  std::vector<AlertEvent> sunk;
  runner.set_sink([&](const AlertEvent& e) {
    std::lock_guard lock(mutex);
    sunk.push_back(e);
  });
  REQUIRE(runner.start(error));  // the registry has no "lab": it is not deployed, which fires at once
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return !sunk.empty();
  }, 20s));
  std::lock_guard lock(mutex);
  CHECK(sunk[0].reason == "channel is not deployed");
  CHECK(sunk[0].delivery == "failed");
  REQUIRE(sunk[0].deliveries.size() == 1);
  CHECK(sunk[0].deliveries[0].attempts == 4);
  CHECK_THAT(sunk[0].deliveries[0].error, Catch::Contains("connect to http://127.0.0.1:") && Catch::Contains("refused"));
}
