// The `webhook` and `email` destinations as a channel author uses them: YAML,
// `artery validate`, `artery run`, HL7 in over MLLP, and real servers on
// loopback receiving the messages. The webhook endpoint is down at first:
// the delivery is retried through the channel's `retry:` and arrives once it is up.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/smtp_sink.hpp"
#include "support/test_certificates.hpp"
#include "support/webhook_sink.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kOrder =
    "MSH|^~\\&|PHARM|H|EPR|H|20261201120000||RDE^O11|RX-77|P|2.5\rPID|1||900100^^^H^MR||Evans^Ann\r"
    "ORC|XO|ORD1\rRXE|^^^20261201|ASP100^Aspirin 100mg^L|100||mg\r";

}  // namespace

TEST_CASE("webhook and email destinations deliver, and a webhook that is down at first gets the message later") {
  TempDir dir("artery-notify");
  SmtpSink smtp(free_port(), dir / "mail");  // plaintext relay: tls mode none
  WebhookSink hook(free_port());             // not started yet: connection refused
  const int mllp_port = free_port();

  write_text(dir / "scripts/order.lua",
             "local M = {}\nfunction M.transform(msg, ctx)\n"
             "  ctx.vars.patient = msg:get('PID-5.2') .. ' ' .. msg:get('PID-5.1')\n"
             "  ctx.vars.drug = msg:get('RXE-2.2')\n"
             "  return json.encode({patient = ctx.vars.patient, drug = ctx.vars.drug, control = msg:get('MSH-10')})\n"
             "end\nreturn M\n");
  write_text(dir / "channels/notify.yaml",
             "name: notify\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(mllp_port) +
                 "\nscript: ../scripts/order.lua\ndestinations:\n"
                 "  - name: hook\n    type: webhook\n    url: " + hook.url("/orders/${patient}") + "\n"
                 "    method: PUT\n    headers: {X-Drug: \"${drug}\"}\n"
                 "    auth: {type: bearer, token: abc123}\n"
                 "    retry: {max: 50, initial: 200ms, max_delay: 500ms}\n"
                 "  - name: mail\n    type: email\n    host: 127.0.0.1\n    port: " + std::to_string(smtp.port()) +
                 "\n    tls: {mode: none}\n    from: pharmacy@example.org\n    to: [ward7@example.org]\n"
                 "    subject: \"Medication change for ${patient}: ${drug}\"\n"
                 "    body: \"Patient: ${patient}\\nDrug: ${drug}\\n.\\n${content}\\n\"\n");

  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  write_text(dir / "order.hl7", kOrder);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(mllp_port), (dir / "order.hl7").string()}, output);

  INFO(engine.log());
  REQUIRE(eventually([&] { return smtp.messages().size() == 1; }, std::chrono::seconds(15)));
  const std::string mail = smtp.messages()[0];
  CHECK_THAT(mail, Catch::Contains("Subject: Medication change for Ann Evans: Aspirin 100mg") &&
                       Catch::Contains("To: ward7@example.org") && Catch::Contains("Patient: Ann Evans\r\n") &&
                       Catch::Contains("Drug: Aspirin 100mg\r\n.\r\n{") &&
                       Catch::Contains("\"drug\":\"Aspirin 100mg\""));
  // That lone "." line went over the wire dot-stuffed: unstuffed it would
  // have ended DATA there, and the JSON after it would be missing.

  // The webhook failed (connection refused) and is being retried.
  REQUIRE(engine.wait_for_log("connect to http://127.0.0.1:" + std::to_string(hook.port()), std::chrono::seconds(10)));
  CHECK(hook.requests().empty());
  hook.start();
  REQUIRE(eventually([&] { return hook.requests().size() == 1; }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto requests = hook.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[0].target == "/orders/Ann%20Evans");
  CHECK(requests[0].authorization == "Bearer abc123");
  CHECK(requests[0].headers.get("X-Drug") == "Aspirin 100mg");
  CHECK(requests[0].content_type == "x-application/hl7-v2+er7");
  CHECK_THAT(requests[0].body, Catch::Contains("\"patient\":\"Ann Evans\""));
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("an email destination over STARTTLS with AUTH, and one refused for a wrong password") {
  TempDir dir("artery-notify-tls");
  const auto& certs = TestCertificates::get();
  SmtpSink smtp(free_port(), dir / "mail", certs("server.pem"), certs("server.key"));
  const int good_port = free_port(), bad_port = free_port();
  auto channel = [&](const std::string& name, int port, const std::string& password) {
    return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
           "\ndestinations:\n  - name: mail\n    type: email\n    host: 127.0.0.1\n    port: " +
           std::to_string(smtp.port()) + "\n    tls: {ca: " + certs("ca.pem") +
           "}\n    username: artery\n    password: " + password +
           "\n    from: artery@example.org\n    to: [a@example.org]\n    subject: \"Ünïcode ${message_id}\"\n"
           "    retry: {max: 0}\n";
  };
  write_text(dir / "channels/good.yaml", channel("good", good_port, "secret"));
  write_text(dir / "channels/bad.yaml", channel("bad", bad_port, "wrong"));
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  write_text(dir / "order.hl7", kOrder);
  std::string output;
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(good_port), (dir / "order.hl7").string()}, output);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(bad_port), (dir / "order.hl7").string()}, output);
  INFO(engine.log());
  REQUIRE(eventually([&] { return smtp.messages().size() == 1; }, std::chrono::seconds(15)));
  CHECK_THAT(smtp.messages()[0], Catch::Contains("Subject: =?UTF-8?B?") && Catch::Contains("RX-77"));
  CHECK(smtp.envelopes()[0] == "artery@example.org\na@example.org\nartery\n");
  // 535 is permanent: the delivery is ERROR with the server's text.
  REQUIRE(engine.wait_for_log("535", std::chrono::seconds(10)));
  CHECK(smtp.messages().size() == 1);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("a webhook over https verifies the server: the right CA delivers, another CA is refused") {
  TempDir dir("artery-notify-https");
  const auto& certs = TestCertificates::get();
  WebhookSink hook(free_port(), certs("server.pem"), certs("server.key"));
  hook.start();
  const int good_port = free_port(), bad_port = free_port();
  auto channel = [&](const std::string& name, int port, const std::string& ca, const std::string& host) {
    return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
           "\ndestinations:\n  - name: hook\n    type: webhook\n    url: " + hook.url("/" + name, host) +
           "\n    auth: {type: basic, username: artery, password: s3cret}\n    tls: {ca: " + ca +
           "}\n    retry: {max: 0}\n";
  };
  // localhost: SNI and the host name check use the name, the certificate has it.
  write_text(dir / "channels/good.yaml", channel("good", good_port, certs("ca.pem"), "localhost"));
  write_text(dir / "channels/bad.yaml", channel("bad", bad_port, certs("other.pem"), "127.0.0.1"));
  std::string output;
  INFO(output);
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  write_text(dir / "order.hl7", kOrder);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(good_port), (dir / "order.hl7").string()}, output);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(bad_port), (dir / "order.hl7").string()}, output);
  INFO(engine.log());
  REQUIRE(eventually([&] { return hook.requests().size() == 1; }, std::chrono::seconds(15)));
  CHECK(hook.requests()[0].target == "/good");
  CHECK(hook.requests()[0].authorization == "Basic YXJ0ZXJ5OnMzY3JldA==");
  REQUIRE(engine.wait_for_log("TLS handshake with https://127.0.0.1:" + std::to_string(hook.port()), std::chrono::seconds(10)));
  CHECK_THAT(engine.log(), Catch::Contains("certificate verify failed"));
  CHECK(hook.requests().size() == 1);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("an email destination with implicit TLS, and STARTTLS refused by a server that does not offer it") {
  TempDir dir("artery-notify-implicit");
  const auto& certs = TestCertificates::get();
  SmtpSink implicit(free_port(), dir / "implicit", certs("server.pem"), certs("server.key"), true);
  SmtpSink plain(free_port(), dir / "plain");  // offers no STARTTLS
  const int implicit_port = free_port(), plain_port = free_port();
  auto channel = [&](const std::string& name, int port, int smtp_port, const std::string& tls) {
    return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
           "\ndestinations:\n  - name: mail\n    type: email\n    host: 127.0.0.1\n    port: " +
           std::to_string(smtp_port) + "\n    tls: " + tls +
           "\n    username: artery\n    password_env: ARTERY_TEST_SMTP_PASSWORD\n"
           "    from: artery@example.org\n    to: [a@example.org]\n    retry: {max: 0}\n";
  };
  write_text(dir / "channels/implicit.yaml",
             channel("implicit", implicit_port, implicit.port(), "{mode: implicit, ca: " + certs("ca.pem") + "}"));
  write_text(dir / "channels/plain.yaml", channel("plain", plain_port, plain.port(), "{mode: starttls}"));
  ::setenv("ARTERY_TEST_SMTP_PASSWORD", "secret", 1);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  write_text(dir / "order.hl7", kOrder);
  std::string output;
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(implicit_port), (dir / "order.hl7").string()}, output);
  run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(plain_port), (dir / "order.hl7").string()}, output);
  INFO(engine.log());
  REQUIRE(eventually([&] { return implicit.messages().size() == 1; }, std::chrono::seconds(15)));
  CHECK(implicit.envelopes()[0] == "artery@example.org\na@example.org\nartery\n");
  // No silent fallback to plaintext: the password never goes out.
  REQUIRE(engine.wait_for_log("does not offer STARTTLS", std::chrono::seconds(10)));
  CHECK(plain.messages().empty());
  CHECK(engine.stop(SIGTERM) == 0);
}
