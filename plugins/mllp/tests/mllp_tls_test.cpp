// MLLP over TLS: certificates made with the openssl CLI into a temp dir.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <future>

#include "mllp_destination.hpp"
#include "mllp_test_support.hpp"
#include "support/test_certificates.hpp"

using namespace mllp_test;
using artery::SendResult;
using artery::mllp::DestinationSettings;
using artery::mllp::MllpDestination;
namespace fs = std::filesystem;

namespace {

// The CA, server, client and unrelated certificates the openssl CLI made.
const artery::testing::TestCertificates& certificates() { return artery::testing::TestCertificates::get(); }

artery::mllp::SourceSettings tls_source(bool verify_client) {
  auto& c = certificates();
  auto s = loopback_settings();
  s.tls.enabled = true;
  s.tls.cert = c("server.pem");
  s.tls.key = c("server.key");
  s.tls.ca = c("ca.pem");
  s.tls.verify_peer = verify_client;
  return s;
}

DestinationSettings tls_destination(std::uint16_t port, bool client_cert, const char* ca = "ca.pem") {
  auto& c = certificates();
  DestinationSettings d;
  d.remote.host = "127.0.0.1";
  d.remote.port = port;
  d.tls.enabled = true;
  d.tls.ca = c(ca);
  d.tls.server_name = "localhost";
  d.tls.verify_peer = true;
  if (client_cert) {
    d.tls.cert = c("client.pem");
    d.tls.key = c("client.key");
  }
  return d;
}

SendResult send(const DestinationSettings& settings, const std::string& content) {
  TestContext context;
  MllpDestination destination(settings, context);
  std::string error;
  if (!destination.start(error)) throw std::runtime_error(error);
  std::promise<SendResult> promise;
  artery::OutboundMessage m;
  m.content = content;
  destination.send(std::move(m), [&](SendResult r) { promise.set_value(std::move(r)); });
  return promise.get_future().get();
}

std::string attribute(const artery::Message& m, const std::string& key) {
  for (auto& [k, v] : m.attributes)
    if (k == key) return v;
  return {};
}

}  // namespace

TEST_CASE("TLS: destination sends to a TLS source and verifies its certificate", "[mllp][tls]") {
  RunningSource server(tls_source(false));
  auto r = send(tls_destination(server.port(), false), hl7_message("TLS1"));
  CHECK(r.status == SendResult::Status::sent);
  CHECK(parse_ack(r.response).control_id == "TLS1");
  REQUIRE(server.host.count() == 1);
  CHECK(attribute(server.host.received()[0], "tls_peer_subject").empty());
}

TEST_CASE("TLS: a server certificate from an unknown CA is refused", "[mllp][tls]") {
  RunningSource server(tls_source(false));
  auto r = send(tls_destination(server.port(), false, "other.pem"), hl7_message("TLS2"));
  CHECK(r.status == SendResult::Status::retry);
  CHECK(r.error.find("TLS handshake") != std::string::npos);
  CHECK(server.host.count() == 0);
}

TEST_CASE("TLS: verify_client requires a client certificate signed by the CA", "[mllp][tls]") {
  RunningSource server(tls_source(true));
  auto without = send(tls_destination(server.port(), false), hl7_message("TLS3"));
  CHECK(without.status == SendResult::Status::retry);
  CHECK(server.host.count() == 0);

  auto with = send(tls_destination(server.port(), true), hl7_message("TLS4"));
  CHECK(with.status == SendResult::Status::sent);
  REQUIRE(server.host.count() == 1);
  CHECK(attribute(server.host.received()[0], "tls_peer_subject").find("CN=artery-client") != std::string::npos);
}

TEST_CASE("TLS: a plain-text client on a TLS listener gets nothing stored", "[mllp][tls]") {
  RunningSource server(tls_source(false));
  Client c(server.port());
  c.send_frame(hl7_message("PLAIN"));
  CHECK(c.closed_by_peer());
  CHECK(server.host.count() == 0);
}

TEST_CASE("TLS: a missing certificate file fails start with its name", "[mllp][tls]") {
  auto s = tls_source(false);
  s.tls.cert = "/nonexistent/server.pem";
  TestContext context;
  TestHost host;
  artery::mllp::MllpSource source(s, context);
  std::string error;
  CHECK_FALSE(source.start(host, error));
  CHECK(error.find("/nonexistent/server.pem") != std::string::npos);
}
