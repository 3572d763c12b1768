// The one TLS option reader (listeners and clients) and the start-up
// warning's notion of "reachable from other machines".
#include <artery/option_reader.hpp>
#include <artery/tls_settings.hpp>

#include <catch2/catch.hpp>

using artery::ConnectorOptions;
using artery::OptionReader;
using artery::OptionSpec;
using artery::TlsVersion;

namespace {

const OptionSpec kListener[] = {ARTERY_LISTENER_TLS_OPTIONS};
const OptionSpec kClient[] = {ARTERY_CLIENT_TLS_OPTIONS};
// A client that declares nothing about TLS (its URL decides).
const OptionSpec kBare[] = {{"url", "string", "", false, ""}};

ConnectorOptions options(std::initializer_list<std::pair<const char*, const char*>> values) {
  ConnectorOptions out;
  out.locations[""] = "c.yaml:3:3";
  int line = 4;
  for (auto [key, value] : values) {
    out.tree.put(boost::property_tree::ptree::path_type(key, '.'), value);
    out.locations[key] = "c.yaml:" + std::to_string(line++) + ":5";
  }
  return out;
}

}  // namespace

TEST_CASE("listener TLS: 1.2 by default, 1.3 on request, nothing older", "[tls]") {
  {
    const auto opts = options({{"tls.enabled", "true"}, {"tls.cert", "s.pem"}, {"tls.key", "s.key"}});
    OptionReader read(opts, kListener, std::size(kListener));
    const auto tls = artery::read_listener_tls(read, "/etc/artery");
    REQUIRE(read.ok());
    CHECK(tls.min_version == TlsVersion::v1_2);
    CHECK(tls.cert == "/etc/artery/s.pem");
    CHECK_FALSE(tls.verify_peer);
  }
  {
    const auto opts = options({{"tls.min_version", "1.3"}});
    OptionReader read(opts, kListener, std::size(kListener));
    CHECK(artery::read_listener_tls(read, {}).min_version == TlsVersion::v1_3);
    CHECK(read.ok());
  }
  for (const char* old : {"1.1", "1.0", "TLSv1"}) {
    const auto opts = options({{"tls.min_version", old}});
    OptionReader read(opts, kListener, std::size(kListener));
    artery::read_listener_tls(read, {});
    CHECK(read.error() == std::string("c.yaml:4:5: tls.min_version: expected 1.2 or 1.3 (older versions are never "
                                      "allowed), got '") + old + "'");
  }
}

TEST_CASE("cipher lists OpenSSL does not know are refused where they are written", "[tls]") {
  {
    const auto opts = options({{"tls.ciphers", "ECDHE+AESGCM:ECDHE+CHACHA20"},
                               {"tls.ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"}});
    OptionReader read(opts, kListener, std::size(kListener));
    const auto tls = artery::read_listener_tls(read, {});
    CHECK(read.ok());
    CHECK(tls.ciphers == "ECDHE+AESGCM:ECDHE+CHACHA20");
  }
  {
    const auto opts = options({{"tls.ciphers", "NO-SUCH-CIPHER"}});
    OptionReader read(opts, kClient, std::size(kClient));
    artery::read_client_tls(read, {});
    CHECK(read.error().rfind("c.yaml:4:5: tls.ciphers: OpenSSL knows no TLS 1.2 cipher in 'NO-SUCH-CIPHER'", 0) == 0);
  }
  {
    const auto opts = options({{"tls.ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_NOPE"}});
    OptionReader read(opts, kListener, std::size(kListener));
    artery::read_listener_tls(read, {});
    CHECK(read.error().rfind("c.yaml:4:5: tls.ciphersuites: not a list of TLS 1.3 suites", 0) == 0);
  }
  {
    // A 1.2 cipher list with 1.3 as the floor would be silently ignored.
    const auto opts = options({{"tls.min_version", "1.3"}, {"tls.ciphers", "ECDHE+AESGCM"}});
    OptionReader read(opts, kListener, std::size(kListener));
    artery::read_listener_tls(read, {});
    CHECK(read.error().find("tls.ciphers: applies to TLS 1.2 only") != std::string::npos);
  }
}

TEST_CASE("client certificates: optional with tls.ca, required with verify_client", "[tls]") {
  {
    const auto opts = options({{"tls.enabled", "true"}, {"tls.cert", "s.pem"}, {"tls.key", "s.key"},
                               {"tls.ca", "ca.pem"}});
    OptionReader read(opts, kListener, std::size(kListener));
    const auto tls = artery::read_listener_tls(read, {});
    CHECK(read.ok());
    CHECK(tls.ca == "ca.pem");
    CHECK_FALSE(tls.verify_peer);
  }
  {
    const auto opts = options({{"tls.enabled", "true"}, {"tls.cert", "s.pem"}, {"tls.key", "s.key"},
                               {"tls.verify_client", "true"}});
    OptionReader read(opts, kListener, std::size(kListener));
    artery::read_listener_tls(read, {});
    CHECK(read.error() == "c.yaml:7:5: tls.verify_client: needs tls.ca to verify client certificates against");
  }
}

TEST_CASE("clients verify the server unless told not to, declared or not", "[tls]") {
  {
    const auto opts = options({});
    OptionReader read(opts, kClient, std::size(kClient));
    CHECK(artery::read_client_tls(read, {}).verify_peer);
  }
  {
    const auto opts = options({});
    OptionReader read(opts, kBare, std::size(kBare));
    const auto tls = artery::read_client_tls(read, {});
    CHECK(read.ok());
    CHECK(tls.verify_peer);
    CHECK(tls.min_version == TlsVersion::v1_2);
  }
  {
    const auto opts = options({{"tls.verify_server", "false"}});
    OptionReader read(opts, kClient, std::size(kClient));
    CHECK_FALSE(artery::read_client_tls(read, {}).verify_peer);
  }
  {
    const auto opts = options({{"tls.cert", "c.pem"}});
    OptionReader read(opts, kClient, std::size(kClient));
    artery::read_client_tls(read, {});
    CHECK(read.error().find("tls.cert and tls.key go together") != std::string::npos);
  }
}

TEST_CASE("only loopback listeners count as unreachable from other machines", "[tls]") {
  for (const char* local : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"}) {
    INFO(local);
    CHECK_FALSE(artery::reachable_from_network(local));
  }
  for (const char* open : {"", "*", "0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "ehr.example.org"}) {
    INFO(open);
    CHECK(artery::reachable_from_network(open));
  }
  CHECK(artery::plaintext_listener_warning("127.0.0.1", 2575, false, "fix").empty());
  CHECK(artery::plaintext_listener_warning("0.0.0.0", 2575, true, "fix").empty());
  CHECK(artery::plaintext_listener_warning("", 2575, false, "set tls") ==
        "listening on 0.0.0.0:2575 without TLS: other machines can read and send what passes in the clear; set tls");
}
