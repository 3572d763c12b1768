// The `alerts:` block of artery.yaml: targets with the destinations' keys,
// rules with one condition each, read into AlertsConfig.
#include "config/engine_config.hpp"

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery;
using namespace std::chrono_literals;

TEST_CASE("engine config: an alerts block with both target types and every condition") {
  artery::testing::TempDir dir;
  artery::testing::write_text(dir / "certs/ca.pem", "not read at load time\n");
  artery::testing::write_text(dir / "artery.yaml", R"(alerts:
  interval: 2s
  targets:
    ops:
      type: webhook
      url: https://hooks.example.org/artery
      headers: {X-Team: integration}
      auth: {type: bearer, token_env: HOOK_TOKEN}
      tls: {ca: certs/ca.pem}
    oncall:
      type: email
      host: smtp.example.org
      from: artery@example.org
      to: [oncall@example.org]
  rules:
    - name: lab-errors
      channel: lab
      errors: {count: 10, window: 5m}
      quiet_period: 30m
      notify: [ops, oncall]
    - name: backlog
      channel: "*"
      queue_depth: 1000
      notify: ops
    - name: stale
      channel: "*"
      oldest_queued: 10m
    - name: down
      channel: lab
      state: not_started
      for: 30s
      notify: [oncall]
)");
  Diagnostics diagnostics;
  auto config = load_engine_config(dir / "artery.yaml", diagnostics);
  for (const auto& d : diagnostics) UNSCOPED_INFO(d.str());
  REQUIRE(config);
  const AlertsConfig& alerts = config->alerts;
  CHECK(alerts.interval == 2s);
  REQUIRE(alerts.targets.size() == 2);
  CHECK(alerts.targets[0].name == "ops");  // in the order written
  CHECK(alerts.targets[0].type == "webhook");
  CHECK(alerts.targets[1].type == "email");
  CHECK(alerts.targets[1].options.tree.get<std::string>("subject") == "[artery] ${event}: ${rule} on ${channel}");
  REQUIRE(alerts.rules.size() == 4);
  CHECK(alerts.rules[0].condition.kind == AlertCondition::Kind::errors);
  CHECK(alerts.rules[0].condition.count == 10);
  CHECK(alerts.rules[0].condition.window == 5min);
  CHECK(alerts.rules[0].quiet_period == 30min);
  CHECK(alerts.rules[0].notify == std::vector<std::string>{"ops", "oncall"});
  CHECK(alerts.rules[1].channel == "*");
  CHECK(alerts.rules[1].condition.count == 1000);
  CHECK(alerts.rules[1].quiet_period == 15min);  // the default
  CHECK(alerts.rules[1].notify == std::vector<std::string>{"ops"});
  CHECK(alerts.rules[2].condition.window == 10min);
  CHECK(alerts.rules[3].condition.kind == AlertCondition::Kind::not_started);
  CHECK(alerts.rules[3].hold == 30s);
}

TEST_CASE("engine config: alert mistakes are reported at their line") {
  artery::testing::TempDir dir;
  artery::testing::write_text(dir / "artery.yaml", R"(alerts:
  targets:
    ops: {type: pager}
    mail: {type: email, host: h, from: a@b.org, to: [c@d.org], tls: {mode: starttls}, passwrd: x}
  rules:
    - name: Bad Name
      channel: lab
      state: started
    - name: dup
      channel: lab
      queue_depth: 0
    - name: dup
      channel: lab
      errors: {count: 1}
)");
  Diagnostics diagnostics;
  CHECK_FALSE(load_engine_config(dir / "artery.yaml", diagnostics));
  std::string all;
  for (const auto& d : diagnostics) all += d.str() + "\n";
  INFO(all);
  CHECK_THAT(all, Catch::Contains("artery.yaml:3:") && Catch::Contains("pager"));
  CHECK_THAT(all, Catch::Contains("artery.yaml:4:") && Catch::Contains("passwrd") &&
                      Catch::Contains("did you mean 'password'"));
  CHECK_THAT(all, Catch::Contains("artery.yaml:6:") && Catch::Contains("invalid alert rule name 'Bad Name'"));
  CHECK_THAT(all, Catch::Contains("artery.yaml:8:") && Catch::Contains("not_started"));
  CHECK_THAT(all, Catch::Contains("artery.yaml:11:") && Catch::Contains("queue_depth"));
  CHECK_THAT(all, Catch::Contains("artery.yaml:12:") && Catch::Contains("duplicate alert rule name 'dup'"));
  CHECK_THAT(all, Catch::Contains("missing required key 'window'"));
}
