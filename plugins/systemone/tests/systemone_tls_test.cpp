// The systemone source over TLS: real handshakes on 127.0.0.1 with
// certificates the openssl CLI made, the same tls.* options as MLLP.
#include "../systemone_source.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_client.hpp"
#include "systemone_test_support.hpp"

#include <catch2/catch.hpp>

using namespace systemone_test;
using artery::systemone::make_systemone_source;
using artery::testing::TestCertificates;
using artery::testing::TlsClient;

namespace {

const std::string kRequest =
    "<ClientIntegrationRequest><APIKey>KEY</APIKey><DeviceID>D1</DeviceID><DeviceVersion>T 1</DeviceVersion>"
    "<RequestUID>TLS-1</RequestUID><Function>Whoami</Function><FunctionVersion>1.0</FunctionVersion>"
    "<FunctionParameters/></ClientIntegrationRequest>\n";

// The "channel": answers with the client certificate's subject it was given.
artery::Disposition whoami(const artery::Message& m) {
  return answer("<Subject>" + attribute(m, "tls_peer_subject") + "</Subject>");
}

struct TlsServed {
  explicit TlsServed(bool verify_client) : host(whoami) {
    const auto& certs = TestCertificates::get();
    port = free_port();
    std::map<std::string, std::string> o{{"listen", "127.0.0.1:" + std::to_string(port)},
                                         {"tls.enabled", "true"},
                                         {"tls.cert", "server.pem"},
                                         {"tls.key", "server.key"},
                                         {"tls.ca", "ca.pem"},
                                         {"tls.verify_client", verify_client ? "true" : "false"}};
    context.base = certs.dir();  // relative tls.* paths resolve against the channel file's folder
    source = make_systemone_source(options(o), context);
    std::string error;
    REQUIRE(source->start(host, error));
  }
  ~TlsServed() { source->stop(); }
  MemoryContext context;
  ScriptedHost host;
  std::unique_ptr<artery::Source> source;
  int port = 0;
};

}  // namespace

TEST_CASE("TLS: a systemone client handshakes, verifies the listener and gets its answer", "[systemone][tls]") {
  const auto& certs = TestCertificates::get();
  TlsServed s(false);
  TlsClient client(s.port, {certs("ca.pem"), "", ""});
  REQUIRE(client.handshake_error().empty());
  client.write(kRequest);
  std::string line = client.read_line();
  CHECK(line.find("<RequestUID>TLS-1</RequestUID>") != std::string::npos);
  CHECK(line.find("<Subject") != std::string::npos);
  CHECK(line.find("CN=") == std::string::npos);  // no client certificate, no subject
  REQUIRE(s.host.count() == 1);
}

TEST_CASE("TLS: a client that does not trust the listener's CA fails the handshake", "[systemone][tls]") {
  const auto& certs = TestCertificates::get();
  TlsServed s(false);
  TlsClient client(s.port, {certs("other.pem"), "", ""});
  CHECK_FALSE(client.handshake_error().empty());
  CHECK(s.host.count() == 0);
}

TEST_CASE("TLS: verify_client requires a client certificate signed by tls.ca, and names its subject", "[systemone][tls]") {
  const auto& certs = TestCertificates::get();
  TlsServed s(true);
  {
    // TLS 1.3 reports a missing client certificate after the handshake: no answer either way.
    TlsClient without(s.port, {certs("ca.pem"), "", ""});
    if (without.handshake_error().empty()) {
      without.write(kRequest);
      CHECK(without.read_line().empty());
    }
  }
  CHECK(s.host.count() == 0);
  TlsClient with(s.port, {certs("ca.pem"), certs("client.pem"), certs("client.key")});
  REQUIRE(with.handshake_error().empty());
  with.write(kRequest);
  CHECK(with.read_line().find("CN=artery-client") != std::string::npos);
  CHECK(s.host.count() == 1);
  CHECK(s.context.metrics().snapshot().errors_of(artery::ConnectorError::tls) >= 1);
}

TEST_CASE("TLS: a plain-text request to a TLS systemone listener is never answered or stored", "[systemone][tls]") {
  TlsServed s(false);
  auto c = Connection::to(s.port);
  c.send(kRequest);
  CHECK(c.peer_closed());
  CHECK(s.host.count() == 0);
}

TEST_CASE("TLS: systemone tls options are checked like MLLP's", "[systemone][tls]") {
  MemoryContext context;
  CHECK_THROWS_WITH(make_systemone_source(options({{"listen", ":40700"}, {"tls.enabled", "true"}}), context),
                    Catch::Contains("tls.cert and tls.key are required"));
  CHECK_THROWS_WITH(make_systemone_source(options({{"listen", ":40700"},
                                                   {"tls.enabled", "true"},
                                                   {"tls.cert", "a.pem"},
                                                   {"tls.key", "a.key"},
                                                   {"tls.verify_client", "true"}}),
                                          context),
                    Catch::Contains("needs tls.ca"));
  // A certificate file that cannot be loaded fails start, naming it.
  auto source = make_systemone_source(
      options({{"listen", "127.0.0.1:" + std::to_string(free_port())},
               {"tls.enabled", "true"},
               {"tls.cert", "/nonexistent/server.pem"},
               {"tls.key", "/nonexistent/server.key"}}),
      context);
  ScriptedHost host(whoami);
  std::string error;
  CHECK_FALSE(source->start(host, error));
  CHECK(error.find("/nonexistent/server.pem") != std::string::npos);
}
