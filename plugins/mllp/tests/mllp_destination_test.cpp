// The MLLP sender against the plugin's own listener and scripted peers.
#include <catch2/catch.hpp>

#include <future>

#include "mllp_destination.hpp"
#include "mllp_test_support.hpp"

using namespace mllp_test;
using artery::Disposition;
using artery::SendResult;
using artery::mllp::DestinationSettings;
using artery::mllp::MllpDestination;

namespace {

DestinationSettings to(std::uint16_t port) {
  DestinationSettings d;
  d.remote.host = "127.0.0.1";
  d.remote.port = port;
  d.connect_timeout = std::chrono::milliseconds(2000);
  d.ack_timeout = std::chrono::milliseconds(5000);
  return d;
}

SendResult send(MllpDestination& destination, const std::string& content) {
  std::promise<SendResult> promise;
  auto future = promise.get_future();
  artery::OutboundMessage m;
  m.content = content;
  m.data_type = "hl7v2";
  destination.send(std::move(m), [&promise](SendResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

struct StartedDestination {
  TestContext context;
  MllpDestination destination;
  explicit StartedDestination(DestinationSettings settings) : destination(std::move(settings), context) {
    std::string error;
    if (!destination.start(error)) throw std::runtime_error(error);
  }
};

Disposition status(Disposition::Status s, std::string error = {}) {
  Disposition d;
  d.status = s;
  d.error = std::move(error);
  return d;
}

}  // namespace

TEST_CASE("destination: AA is sent, with the ACK as response", "[mllp][destination]") {
  RunningSource server;
  StartedDestination d(to(server.port()));
  auto r = send(d.destination, hl7_message("OUT1"));
  CHECK(r.status == SendResult::Status::sent);
  CHECK(parse_ack(r.response).control_id == "OUT1");
  CHECK(server.host.received().at(0).content == hl7_message("OUT1"));
}

TEST_CASE("destination: a message whose MSH-15 is NE is sent without waiting for an ACK", "[mllp][destination]") {
  RunningSource server;
  StartedDestination d(to(server.port()));  // ack_timeout 5 s: waiting for one would be a retry much later
  // MSH-13, MSH-14 empty, MSH-15 NE: the receiver sends no accept acknowledgement.
  auto r = send(d.destination, hl7_message("QUIET1", "|||NE|NE"));
  CHECK(r.status == SendResult::Status::sent);
  CHECK(r.response.empty());
  // The connection is still in step: the next message gets its own ACK.
  auto next = send(d.destination, hl7_message("LOUD1"));
  CHECK(next.status == SendResult::Status::sent);
  CHECK(parse_ack(next.response).control_id == "LOUD1");
  REQUIRE(eventually([&] { return server.host.count() == 2; }));
}

TEST_CASE("destination: MSH-15 ER takes silence until ack_timeout as success, and errors as errors",
          "[mllp][destination]") {
  RunningSource server;
  auto settings = to(server.port());
  settings.ack_timeout = std::chrono::milliseconds(300);
  StartedDestination d(settings);
  auto quiet = send(d.destination, hl7_message("ER1", "|||ER|NE"));
  CHECK(quiet.status == SendResult::Status::sent);
  server.host.set_policy([](const artery::Message&) { return status(Disposition::Status::errored, "no such ward"); });
  auto failed = send(d.destination, hl7_message("ER2", "|||ER|NE"));
  CHECK(failed.status == SendResult::Status::retry);
  CHECK(failed.error.find("no such ward") != std::string::npos);
}

TEST_CASE("destination: AE is retried with its text, AR rejected", "[mllp][destination]") {
  RunningSource server;
  StartedDestination d(to(server.port()));
  server.host.set_policy([](const artery::Message&) { return status(Disposition::Status::errored, "lookup failed"); });
  auto e = send(d.destination, hl7_message("OUT2"));
  CHECK(e.status == SendResult::Status::retry);
  CHECK(e.error.find("lookup failed") != std::string::npos);

  server.host.set_policy([](const artery::Message&) { return status(Disposition::Status::rejected, "bad PID"); });
  auto r = send(d.destination, hl7_message("OUT3"));
  CHECK(r.status == SendResult::Status::rejected);
  CHECK(r.error.find("AR") != std::string::npos);
  CHECK(r.error.find("bad PID") != std::string::npos);
}

TEST_CASE("destination: retry_ar turns AR into a retry", "[mllp][destination]") {
  RunningSource server(loopback_settings(),
                       [](const artery::Message&) { return status(Disposition::Status::rejected, "no"); });
  auto settings = to(server.port());
  settings.retry_ar = true;
  StartedDestination d(settings);
  CHECK(send(d.destination, hl7_message("OUT4")).status == SendResult::Status::retry);
}

TEST_CASE("destination: a stale ACK for an earlier message is discarded", "[mllp][destination]") {
  ScriptedServer server([](const std::string& frame) {
    auto m = artery::hl7::Message::parse(frame);
    std::string id = m ? m->get("MSH-10") : "";
    return std::vector<std::string>{ack_for("EARLIER", "AR"), ack_for(id, "AA")};
  });
  StartedDestination d(to(server.port()));
  auto r = send(d.destination, hl7_message("NOW1"));
  CHECK(r.status == SendResult::Status::sent);
  CHECK(parse_ack(r.response).control_id == "NOW1");
  CHECK(d.context.logged("EARLIER"));
}

TEST_CASE("destination: no ACK within ack_timeout is a retry on a fresh connection", "[mllp][destination]") {
  std::atomic<bool> answer{false};
  ScriptedServer server([&](const std::string& frame) {
    if (!answer) return std::vector<std::string>{};
    return std::vector<std::string>{ack_for(artery::hl7::Message::parse(frame)->get("MSH-10"), "AA")};
  });
  auto settings = to(server.port());
  settings.ack_timeout = std::chrono::milliseconds(200);
  StartedDestination d(settings);
  auto r = send(d.destination, hl7_message("SILENT1"));
  CHECK(r.status == SendResult::Status::retry);
  CHECK(r.error.find("no ACK") != std::string::npos);
  answer = true;
  auto again = send(d.destination, hl7_message("SILENT2"));
  CHECK(again.status == SendResult::Status::sent);
  CHECK(parse_ack(again.response).control_id == "SILENT2");
  CHECK(server.connections() == 2);  // the timed-out connection was dropped
}

TEST_CASE("destination: server down is a retry, and it reconnects when the server is back", "[mllp][destination]") {
  std::uint16_t port;
  {
    RunningSource probe;
    port = probe.port();
  }
  StartedDestination d(to(port));
  auto down = send(d.destination, hl7_message("DOWN1"));
  CHECK(down.status == SendResult::Status::retry);
  CHECK(down.error.find("connect") != std::string::npos);

  auto settings = loopback_settings();
  settings.listen.port = port;
  {
    RunningSource server(settings);
    CHECK(send(d.destination, hl7_message("UP1")).status == SendResult::Status::sent);
  }
  // Restarted once more: the kept connection is dead, the send still succeeds.
  RunningSource server(settings);
  auto r = send(d.destination, hl7_message("UP2"));
  CHECK(r.status == SendResult::Status::sent);
  CHECK(parse_ack(r.response).control_id == "UP2");
}

TEST_CASE("destination: keep_alive reuses one connection, without it one per message", "[mllp][destination]") {
  auto ack_all = [](const std::string& frame) {
    return std::vector<std::string>{ack_for(artery::hl7::Message::parse(frame)->get("MSH-10"), "AA")};
  };
  {
    ScriptedServer server(ack_all);
    StartedDestination d(to(server.port()));
    for (int i = 0; i < 5; ++i) CHECK(send(d.destination, hl7_message("K" + std::to_string(i))).status == SendResult::Status::sent);
    CHECK(server.connections() == 1);
  }
  {
    ScriptedServer server(ack_all);
    auto settings = to(server.port());
    settings.keep_alive = false;
    StartedDestination d(settings);
    for (int i = 0; i < 3; ++i) CHECK(send(d.destination, hl7_message("N" + std::to_string(i))).status == SendResult::Status::sent);
    CHECK(server.connections() == 3);
  }
}

TEST_CASE("destination: an unreadable reply is a retry", "[mllp][destination]") {
  ScriptedServer server([](const std::string&) { return std::vector<std::string>{"this is not HL7"}; });
  StartedDestination d(to(server.port()));
  auto r = send(d.destination, hl7_message("GARBLED"));
  CHECK(r.status == SendResult::Status::retry);
  CHECK(r.error.find("unreadable") != std::string::npos);
}

TEST_CASE("destination and source in commit_ack mode", "[mllp][destination]") {
  auto server_settings = loopback_settings();
  server_settings.commit_ack = true;
  RunningSource server(server_settings);
  auto settings = to(server.port());
  settings.commit_ack = true;
  StartedDestination d(settings);
  auto r = send(d.destination, hl7_message("COMMIT1"));
  CHECK(r.status == SendResult::Status::sent);
  server.host.set_policy([](const artery::Message&) { return status(Disposition::Status::unavailable); });
  auto nak = send(d.destination, hl7_message("COMMIT2"));
  CHECK(nak.status == SendResult::Status::retry);
  CHECK(nak.error.find("NAK") != std::string::npos);
}

TEST_CASE("destination: sends after stop complete as retry", "[mllp][destination]") {
  RunningSource server;
  StartedDestination d(to(server.port()));
  d.destination.stop();
  CHECK(send(d.destination, hl7_message("LATE")).status == SendResult::Status::retry);
}

TEST_CASE("destination: its counters follow connections, sends, bytes and rejections", "[mllp][destination][metrics]") {
  std::uint16_t port;
  {
    RunningSource probe;
    port = probe.port();
  }
  StartedDestination d(to(port));
  CHECK(send(d.destination, hl7_message("M0")).status == SendResult::Status::retry);  // nobody listening
  auto m = d.context.metrics().snapshot();
  CHECK(m.connections_refused == 1);
  CHECK(m.connections_open == 0);

  auto settings = loopback_settings();
  settings.listen.port = port;
  RunningSource server(settings, [](const artery::Message& message) {
    return message.content.find("|BAD|") != std::string::npos ? status(Disposition::Status::rejected, "no")
                                                               : Disposition{};
  });
  CHECK(send(d.destination, hl7_message("M1")).status == SendResult::Status::sent);
  CHECK(send(d.destination, hl7_message("M2", "", "PID|1||X^^^|BAD|")).status == SendResult::Status::rejected);
  m = d.context.metrics().snapshot();
  CHECK(m.requests == 3);
  CHECK(m.connections_total == 1);  // kept alive between the two sends
  CHECK(m.connections_open == 1);
  CHECK(m.bytes_out == framed(hl7_message("M1")).size() + framed(hl7_message("M2", "", "PID|1||X^^^|BAD|")).size());
  CHECK(m.bytes_in > 0);
  CHECK(m.errors_of(artery::ConnectorError::rejected) == 1);
  d.destination.stop();
  CHECK(d.context.metrics().snapshot().connections_open == 0);
}
