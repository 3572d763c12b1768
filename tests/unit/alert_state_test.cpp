// The alert state machine and the condition readings, on made-up timestamps:
// one notification per outage, the quiet period, hold time, resolved.
#include "alerts/alert_condition.hpp"
#include "alerts/alert_notification.hpp"
#include "alerts/alert_state.hpp"

#include <catch2/catch.hpp>

using namespace artery;
using namespace std::chrono_literals;
using Change = AlertState::Change;

TEST_CASE("alert state: fires once for an outage and resolves once") {
  AlertState state(0ms, 10min);
  auto step = state.observe(true, 1000);
  CHECK(step.change == Change::fired);
  CHECK(step.notify);
  for (int t = 2000; t < 60'000; t += 1000) CHECK(state.observe(true, t).change == Change::none);
  step = state.observe(false, 60'000);
  CHECK(step.change == Change::resolved);
  CHECK(step.notify);
  CHECK(state.observe(false, 61'000).change == Change::none);
  CHECK_FALSE(state.firing());
}

TEST_CASE("alert state: a flapping condition inside the quiet period is recorded but not notified") {
  AlertState state(0ms, 10min);
  CHECK(state.observe(true, 0).notify);
  CHECK(state.observe(false, 5000).notify);  // resolved of a notified firing: sent
  auto again = state.observe(true, 10'000);
  CHECK(again.change == Change::fired);
  CHECK_FALSE(again.notify);
  auto cleared = state.observe(false, 20'000);
  CHECK(cleared.change == Change::resolved);
  CHECK_FALSE(cleared.notify);  // its firing was never announced
}

TEST_CASE("alert state: a quiet firing that still holds after the quiet period is announced then") {
  AlertState state(0ms, 60s);
  state.observe(true, 0);
  state.observe(false, 1000);
  CHECK_FALSE(state.observe(true, 2000).notify);
  CHECK(state.observe(true, 30'000).change == Change::none);
  auto late = state.observe(true, 60'000);
  CHECK(late.change == Change::fired);
  CHECK(late.notify);
  CHECK(state.observe(true, 200'000).change == Change::none);  // no reminders
  CHECK(state.observe(false, 201'000).notify);
}

TEST_CASE("alert state: `for` holds the firing until the condition lasted that long") {
  AlertState state(5s, 0ms);
  CHECK(state.observe(true, 0).change == Change::none);
  CHECK(state.observe(true, 4000).change == Change::none);
  CHECK(state.observe(false, 4500).change == Change::none);  // cleared before the hold: nothing happened
  CHECK(state.observe(true, 5000).change == Change::none);
  CHECK(state.observe(true, 10'000).change == Change::fired);
}

TEST_CASE("condition meter: errors counted over a sliding window from the cumulative counter") {
  AlertCondition rule{AlertCondition::Kind::errors, 3, 5s};
  ConditionMeter meter;
  ChannelSample s;
  s.channel = "c";
  s.errored = 100;  // errors from before the runner started do not count
  CHECK_FALSE(meter.read(rule, s, 0).active);
  s.errored = 102;
  CHECK(meter.read(rule, s, 1000).value == 2);
  s.errored = 103;
  auto reading = meter.read(rule, s, 2000);
  CHECK(reading.active);
  CHECK(reading.value == 3);
  CHECK(reading.reason == "3 errors in the last 5s (alert at 3)");
  CHECK(meter.read(rule, s, 6000).value == 1);  // the sample at 1000 is the baseline now
  CHECK_FALSE(meter.read(rule, s, 8000).active);
  CHECK(meter.read(rule, s, 8000).value == 0);
}

TEST_CASE("condition meter: queue depth, oldest queued and channel state") {
  ConditionMeter meter;
  ChannelSample s;
  s.channel = "c";
  s.state = ChannelState::started;
  s.queued = 999;
  CHECK_FALSE(meter.read({AlertCondition::Kind::queue_depth, 1000, {}}, s, 0).active);
  s.queued = 1000;
  CHECK(meter.read({AlertCondition::Kind::queue_depth, 1000, {}}, s, 0).active);

  AlertCondition age{AlertCondition::Kind::oldest_queued, 0, 10min};
  CHECK_FALSE(meter.read(age, s, 1'000'000).active);  // nothing queued
  s.oldest_queued_ms = 1'000'000;
  CHECK_FALSE(meter.read(age, s, 1'000'000 + 599'000).active);
  auto old = meter.read(age, s, 1'000'000 + 600'000);
  CHECK(old.active);
  CHECK(old.reason == "oldest queued delivery waiting 10m (alert at 10m)");

  AlertCondition state{AlertCondition::Kind::not_started, 0, {}};
  CHECK_FALSE(meter.read(state, s, 0).active);
  s.state = ChannelState::failed;
  s.state_reason = "port 2575 in use";
  CHECK(meter.read(state, s, 0).reason == "channel is failed: port 2575 in use");
  s.deployed = false;
  CHECK(meter.read(state, s, 0).reason == "channel is not deployed");
}

TEST_CASE("alert notification: the JSON document and the template variables") {
  AlertEvent e;
  e.id = 7;
  e.kind = "fired";
  e.rule = "lab-errors";
  e.channel = "lab";
  e.condition = "errors";
  e.reason = "12 errors in the last 5m (alert at \"10\")";
  e.value = 12;
  e.threshold = 10;
  e.at_ms = 1'796'126'400'123;
  CHECK(alert_json(e) ==
        "{\"event\":\"fired\",\"rule\":\"lab-errors\",\"channel\":\"lab\",\"condition\":\"errors\","
        "\"reason\":\"12 errors in the last 5m (alert at \\\"10\\\")\",\"value\":12,\"threshold\":10,"
        "\"at\":\"2026-12-01T12:00:00.123Z\",\"at_ms\":1796126400123,\"id\":7,\"engine\":\"artery\"}");
  auto vars = alert_vars(e);
  CHECK(vars["event"] == "FIRED");
  CHECK(vars["at"] == "2026-12-01T12:00:00.123Z");
  CHECK_THAT(vars["text"], Catch::StartsWith("Alert FIRED: rule lab-errors on channel lab"));
  CHECK(format_duration_ms(90'000) == "1m30s");
  CHECK(format_duration_ms(1500) == "1.5s");
}
