// Alerts the way an operator sets them up: an `alerts:` block in artery.yaml,
// `artery validate`, `artery run --config`, a channel whose script fails on
// every message, and real servers on loopback for the notifications: the
// engine's HTTP server as the webhook endpoint and aiosmtpd (STARTTLS + AUTH)
// as the mail server. An outage sends one alert to each, and one "resolved".
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/smtp_sink.hpp"
#include "support/test_certificates.hpp"
#include "support/webhook_sink.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kOrder =
    "MSH|^~\\&|PHARM|H|EPR|H|20261201120000||RDE^O11|RX-1|P|2.5\rPID|1||900100^^^H^MR||Evans^Ann\r"
    "ORC|XO|ORD1\rRXE|^^^20261201|ASP100^Aspirin 100mg^L|100||mg\r";

std::string alerts_config(int hook_port, int smtp_port, const std::string& ca) {
  return "channels: channels\ndata: data\nalerts:\n  interval: 200ms\n  targets:\n"
         "    hook:\n      type: webhook\n      url: http://127.0.0.1:" + std::to_string(hook_port) + "/alerts\n"
         "      headers: {X-Alert-Token: t0k3n}\n"
         "    oncall:\n      type: email\n      host: 127.0.0.1\n      port: " + std::to_string(smtp_port) + "\n"
         "      tls: {mode: starttls, ca: " + ca + ", server_name: localhost}\n"
         "      username: artery\n      password_env: ARTERY_TEST_SMTP_PASSWORD\n"
         "      from: artery@example.org\n      to: [oncall@example.org, pharmacy@example.org]\n"
         "  rules:\n    - name: order-errors\n      channel: orders\n      errors: {count: 3, window: 2s}\n"
         "      quiet_period: 10m\n      notify: [hook, oncall]\n"
         "    - name: any-stopped\n      channel: \"*\"\n      state: not_started\n      for: 5s\n";
}

void send_orders(int port, const fs::path& dir, int count) {
  write_text(dir / "order.hl7", kOrder);
  std::string output;
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(port), (dir / "order.hl7").string(), "--repeat",
              std::to_string(count), "--timeout", "5s"},
             output);
}

}  // namespace

TEST_CASE("an error burst sends one webhook and one email, then one resolved each") {
  TempDir dir("artery-alerts");
  const auto& certs = TestCertificates::get();
  SmtpSink smtp(free_port(), dir / "mail", certs("server.pem"), certs("server.key"));
  WebhookSink hook(free_port());
  hook.start();
  const int mllp_port = free_port();

  write_text(dir / "scripts/fail.lua",
             "local M = {}\nfunction M.transform(msg, ctx)\n  error('cannot map order ' .. msg:get('MSH-10'))\n"
             "end\nreturn M\n");
  write_text(dir / "channels/orders.yaml",
             "name: orders\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(mllp_port) +
                 "\nscript: ../scripts/fail.lua\n");
  write_text(dir / "artery.yaml", alerts_config(hook.port(), smtp.port(), certs("ca.pem")));

  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", "--config", (dir / "artery.yaml").string()}, output) == 0);

  ::setenv("ARTERY_TEST_SMTP_PASSWORD", "secret", 1);
  EngineProcess engine({"run", "--config", (dir / "artery.yaml").string()}, dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));

  send_orders(mllp_port, dir.path(), 8);  // 8 errors, well past the 3 the rule allows
  INFO(engine.log());
  REQUIRE(eventually([&] { return hook.requests().size() >= 1 && smtp.messages().size() >= 1; },
                     std::chrono::seconds(20)));
  // More errors inside the same outage: still one alert.
  send_orders(mllp_port, dir.path(), 4);

  // The errors stop; after the 2 s window the condition clears.
  REQUIRE(eventually([&] { return hook.requests().size() >= 2 && smtp.messages().size() >= 2; },
                     std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const auto requests = hook.requests();
  const auto mails = smtp.messages();
  REQUIRE(requests.size() == 2);
  REQUIRE(mails.size() == 2);

  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/alerts");
  CHECK(requests[0].content_type == "application/json");
  CHECK(requests[0].headers.get("X-Alert-Token") == "t0k3n");
  CHECK_THAT(requests[0].body, Catch::Contains("\"event\":\"fired\"") && Catch::Contains("\"rule\":\"order-errors\"") &&
                                   Catch::Contains("\"channel\":\"orders\"") &&
                                   Catch::Contains("\"condition\":\"errors\""));
  CHECK_THAT(requests[1].body, Catch::Contains("\"event\":\"resolved\"") && Catch::Contains("\"rule\":\"order-errors\""));

  CHECK_THAT(mails[0], Catch::Contains("Subject: [artery] FIRED: order-errors on orders") &&
                           Catch::Contains("Message-ID: <") && Catch::Contains("Date: ") &&
                           Catch::Contains("Content-Type: text/plain; charset=UTF-8") &&
                           Catch::Contains("errors in the last 2s"));
  CHECK_THAT(mails[1], Catch::Contains("Subject: [artery] RESOLVED: order-errors on orders"));
  // Authenticated over STARTTLS (the server refuses MAIL otherwise), to both recipients.
  const auto envelopes = smtp.envelopes();
  REQUIRE(envelopes.size() == 2);
  CHECK(envelopes[0] == "artery@example.org\noncall@example.org,pharmacy@example.org\nartery\n");

  // A second outage inside the quiet period is logged, not sent.
  send_orders(mllp_port, dir.path(), 5);
  REQUIRE(engine.wait_for_log("quiet period: not notified", std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(hook.requests().size() == 2);
  CHECK(smtp.messages().size() == 2);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("validate reports a bad alerts block at file:line:col") {
  TempDir dir("artery-alerts-validate");
  write_text(dir / "channels/a.yaml", "name: a\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                          std::to_string(free_port()) + "\n");
  write_text(dir / "artery.yaml",
             "channels: channels\nalerts:\n  targets:\n    hook: {type: webhook, url: ftp://x/}\n"
             "    mail: {type: email, host: h, from: a@b.org, to: [c@d.org], tls: {mode: sometimes}}\n"
             "  rules:\n    - name: r1\n      channel: a\n      errors: {count: 0, window: 5m}\n      notify: [hook, pager]\n"
             "    - name: r2\n      channel: a\n      queue_depth: 10\n      oldest_queued: 5m\n"
             "    - name: r3\n      channel: a\n      notify: hook\n");
  std::string output;
  CHECK(run_artery({"validate", "--config", (dir / "artery.yaml").string()}, output) == 1);
  INFO(output);
  CHECK_THAT(output, Catch::Contains("artery.yaml:4:") && Catch::Contains("expected an http:// or https:// URL"));
  CHECK_THAT(output, Catch::Contains("artery.yaml:5:") && Catch::Contains("sometimes"));
  CHECK_THAT(output, Catch::Contains("artery.yaml:9:") && Catch::Contains("count"));
  CHECK_THAT(output, Catch::Contains("artery.yaml:10:") && Catch::Contains("unknown alert target 'pager'"));
  CHECK_THAT(output, Catch::Contains("artery.yaml:14:") && Catch::Contains("more than one condition"));
  CHECK_THAT(output, Catch::Contains("artery.yaml:15:") && Catch::Contains("needs one condition"));
}

TEST_CASE("queue depth and queue age alerts fire while a destination is down and resolve once it drains") {
  TempDir dir("artery-alerts-queue");
  WebhookSink alerts_hook(free_port());
  alerts_hook.start();
  WebhookSink downstream(free_port());  // the channel's destination: down at first
  const int mllp_port = free_port(), blocker_port = free_port();

  write_text(dir / "channels/orders.yaml",
             "name: orders\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(mllp_port) +
                 "\ndestinations:\n  - name: downstream\n    type: webhook\n    url: " + downstream.url("/in") +
                 "\n    retry: {max: 1000, initial: 200ms, max_delay: 300ms}\n");
  // A second channel that cannot start: its port is taken.
  WebhookSink blocker(blocker_port);
  blocker.start();
  write_text(dir / "channels/blocked.yaml",
             "name: blocked\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(blocker_port) + "\n");
  write_text(dir / "artery.yaml",
             "channels: channels\ndata: data\nalerts:\n  interval: 200ms\n  targets:\n"
             "    hook: {type: webhook, url: \"" + alerts_hook.url("/alerts/${rule}") + "\"}\n"
             "  rules:\n"
             "    - {name: deep, channel: orders, queue_depth: 3, notify: hook}\n"
             "    - {name: old, channel: orders, oldest_queued: 1s, notify: hook}\n"
             "    - {name: down, channel: \"*\", state: not_started, notify: hook}\n");
  std::string output;
  REQUIRE(run_artery({"validate", "--config", (dir / "artery.yaml").string()}, output) == 0);
  EngineProcess engine({"run", "--config", (dir / "artery.yaml").string()}, dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 2 channels"));
  INFO(engine.log());

  auto to = [&](const std::string& rule) {
    std::vector<std::string> bodies;
    for (const auto& r : alerts_hook.requests())
      if (r.target == "/alerts/" + rule) bodies.push_back(r.body);
    return bodies;
  };
  // The channel that failed to start is the first alert.
  REQUIRE(eventually([&] { return to("down").size() == 1; }, std::chrono::seconds(10)));
  CHECK_THAT(to("down")[0], Catch::Contains("\"channel\":\"blocked\"") && Catch::Contains("channel is failed"));

  write_text(dir / "order.hl7", kOrder);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(mllp_port), (dir / "order.hl7").string(), "--repeat",
              "5"},
             output);
  REQUIRE(eventually([&] { return to("deep").size() == 1 && to("old").size() == 1; }, std::chrono::seconds(15)));
  CHECK_THAT(to("deep")[0], Catch::Contains("\"event\":\"fired\"") && Catch::Contains("5 deliveries queued"));
  CHECK_THAT(to("old")[0], Catch::Contains("oldest queued delivery waiting"));

  downstream.start();  // the queue drains
  REQUIRE(eventually([&] { return downstream.requests().size() == 5; }, std::chrono::seconds(15)));
  INFO([&] {
    std::string all;
    for (const auto& r : alerts_hook.requests()) all += r.target + " " + r.body + "\n";
    return "alerts received:\n" + all;
  }());
  const bool resolved = eventually([&] { return to("deep").size() == 2 && to("old").size() == 2; }, std::chrono::seconds(10));
  if (!resolved) FAIL("no resolved alerts; the engine's log:\n" << engine.log());
  CHECK_THAT(to("deep")[1], Catch::Contains("\"event\":\"resolved\"") && Catch::Contains("0 deliveries queued"));
  CHECK_THAT(to("old")[1], Catch::Contains("\"event\":\"resolved\"") && Catch::Contains("no delivery queued"));
  CHECK(to("down").size() == 1);  // still failed: no repeat, no resolved
  CHECK(engine.stop(SIGTERM) == 0);
}
