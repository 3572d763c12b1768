// TLS on every listener, the way an operator turns it on: the tls block in
// channel YAML (MLLP, SystemOne, FHIR) or artery.yaml's http: (the admin
// API), `artery validate`, `artery run`, then real clients on loopback.
// Each listener goes through the same checks, so none of them can quietly
// lag behind the others:
//   - required client certificates: a client with one signed by the CA gets
//     its answer; one without a certificate, and one whose certificate is
//     signed by another CA, get nothing;
//   - a plaintext client gets no answer, and the engine keeps serving TLS;
//   - min_version 1.3 refuses a client that speaks only TLS 1.2, and tls.ca
//     alone makes client certificates optional but still checked.
// And `artery run` warns once for each listener on a non-loopback address
// without TLS, and for no other.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <functional>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kHl7 = "MSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|TLS-7|P|2.5\rPID|1||777\r";

const char* kPingScript = R"(local M = {}
function M.transform(msg, ctx)
  ctx.response = "<Pong>" .. ctx.source["request_uid"] .. "</Pong>"
end
return M
)";

// One kind of listener: how to configure it with a given tls block, and one
// request that shows it served a client.
struct ListenerKind {
  const char* name;
  // Writes the channel file (or artery.yaml) for a listener on `host:port`
  // with `tls` (a YAML flow map, or "" for none).
  std::function<void(const fs::path& dir, const std::string& host, int port, const std::string& tls)> write;
  std::string request;
  std::string terminator;  // "" : the answer ends when the server closes
  std::string served;      // in the answer when the request got through
  std::string up;          // the log line that says the listener is ready
};

std::string tls_line(const std::string& tls) { return tls.empty() ? "" : "  tls: " + tls + "\n"; }

std::string http_get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

const ListenerKind kMllp{
    "mllp",
    [](const fs::path& dir, const std::string& host, int port, const std::string& tls) {
      write_text(dir / "channels/lab.yaml",
                 "name: lab\nsource:\n  type: mllp\n  listen: " + host + ":" + std::to_string(port) + "\n" +
                     tls_line(tls) + "destinations:\n  - name: files\n    type: file\n    directory: " +
                     (dir / "out").string() +
                     "\n    filename: \"msg-${source.local_port}.hl7\"\n");
    },
    "\x0b" + kHl7 + "\x1c\x0d",
    "\x1c\x0d",
    "MSA|AA|TLS-7",
    "running 1 of 1 channels"};

const ListenerKind kSystemOne{
    "systemone",
    [](const fs::path& dir, const std::string& host, int port, const std::string& tls) {
      write_text(dir / "channels/ping.lua", kPingScript);
      write_text(dir / "channels/epr.yaml", "name: epr\nsource:\n  type: systemone\n  listen: " + host + ":" +
                                                std::to_string(port) + "\n  api_keys: [tls-key]\n" + tls_line(tls) +
                                                "script: ping.lua\n");
    },
    "<ClientIntegrationRequest><APIKey>tls-key</APIKey><DeviceID>D1</DeviceID><DeviceVersion>t</DeviceVersion>"
    "<RequestUID>TLS-7</RequestUID><Function>Ping</Function><FunctionVersion>1.0</FunctionVersion>"
    "<FunctionParameters/></ClientIntegrationRequest>\n",
    "</Response>",
    "<Pong>TLS-7</Pong>",
    "running 1 of 1 channels"};

const ListenerKind kFhir{
    "fhir",
    [](const fs::path& dir, const std::string& host, int port, const std::string& tls) {
      write_text(dir / "channels/ehr.yaml", "name: ehr\nsource:\n  type: fhir\n  data_type: json\n  mode: listen\n"
                                            "  listen: " + host + ":" + std::to_string(port) +
                                                "\n  base_path: /fhir\n  repository: true\n" + tls_line(tls));
    },
    http_get_request("/fhir/metadata"),
    "",
    "\"CapabilityStatement\"",
    "running 1 of 1 channels"};

// The admin API: artery.yaml's http block, no channels.
const ListenerKind kAdmin{
    "admin",
    [](const fs::path& dir, const std::string& host, int port, const std::string& tls) {
      fs::create_directories(dir / "channels");
      std::string yaml = "http:\n  listen: " + host + ":" + std::to_string(port) + "\n";
      if (!tls.empty()) yaml += "  tls: " + tls + "\n";
      write_text(dir / "artery.yaml", yaml);
    },
    http_get_request("/api/health"),
    "",
    "HTTP/1.1 200",
    "admin API and console on https://"};

std::vector<std::string> engine_args(const char* command, const fs::path& dir) {
  std::vector<std::string> args{command, "--channels", (dir / "channels").string()};
  if (fs::exists(dir / "artery.yaml")) args.insert(args.end(), {"--config", (dir / "artery.yaml").string()});
  if (std::string(command) == "run") args.insert(args.end(), {"--data", (dir / "data").string()});
  return args;
}

std::string certificate_block(const std::string& extra) {
  const auto& certs = TestCertificates::get();
  return "{enabled: true, cert: " + certs("server.pem") + ", key: " + certs("server.key") + ", ca: " +
         certs("ca.pem") + extra + "}";
}

TlsClient::Options trusted_client() {
  const auto& certs = TestCertificates::get();
  return {certs("ca.pem"), certs("client.pem"), certs("client.key"), ""};
}

void check_required_client_certificates(const ListenerKind& kind) {
  const auto& certs = TestCertificates::get();
  TempDir dir(std::string("artery-tls-") + kind.name);
  const int port = free_port();
  kind.write(dir.path(), "127.0.0.1", port, certificate_block(", verify_client: true"));
  std::string output;
  REQUIRE(run_artery(engine_args("validate", dir.path()), output) == 0);
  EngineProcess engine(engine_args("run", dir.path()), dir / "engine.log");
  REQUIRE(engine.wait_for_log(kind.up));

  const auto with_certificate = tls_exchange(port, trusted_client(), kind.request, kind.terminator);
  CHECK(with_certificate.find(kind.served) != std::string::npos);

  // No certificate, and a certificate from a CA the listener does not trust.
  const auto anonymous = tls_exchange(port, {certs("ca.pem"), "", "", ""}, kind.request, kind.terminator);
  CHECK(anonymous.find(kind.served) == std::string::npos);
  const auto stranger = tls_exchange(port, {certs("ca.pem"), certs("stranger.pem"), certs("stranger.key"), ""},
                                     kind.request, kind.terminator);
  CHECK(stranger.find(kind.served) == std::string::npos);

  // Plaintext to the TLS port: no answer (the HTTP listeners say "use https"),
  // and the next TLS client is served as before.
  CHECK(exchange_plaintext(port, kind.request).find(kind.served) == std::string::npos);
  CHECK(engine.running());
  const auto after_plaintext = tls_exchange(port, trusted_client(), kind.request, kind.terminator);
  CHECK(after_plaintext.find(kind.served) != std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}

void check_tls13_and_optional_client_certificates(const ListenerKind& kind) {
  const auto& certs = TestCertificates::get();
  TempDir dir(std::string("artery-tls13-") + kind.name);
  const int port = free_port();
  kind.write(dir.path(), "127.0.0.1", port, certificate_block(", min_version: 1.3"));
  std::string output;
  REQUIRE(run_artery(engine_args("validate", dir.path()), output) == 0);
  EngineProcess engine(engine_args("run", dir.path()), dir / "engine.log");
  REQUIRE(engine.wait_for_log(kind.up));

  std::string handshake;
  const auto old_client =
      tls_exchange(port, {certs("ca.pem"), certs("client.pem"), certs("client.key"), "1.2"}, kind.request,
                   kind.terminator, &handshake);
  CHECK(old_client.find(kind.served) == std::string::npos);
  CHECK_FALSE(handshake.empty());

  // tls.ca without verify_client: a certificate is optional, but checked when sent.
  const auto anonymous = tls_exchange(port, {certs("ca.pem"), "", "", ""}, kind.request, kind.terminator);
  CHECK(anonymous.find(kind.served) != std::string::npos);
  const auto trusted = tls_exchange(port, trusted_client(), kind.request, kind.terminator);
  CHECK(trusted.find(kind.served) != std::string::npos);
  const auto stranger = tls_exchange(port, {certs("ca.pem"), certs("stranger.pem"), certs("stranger.key"), ""},
                                     kind.request, kind.terminator);
  CHECK(stranger.find(kind.served) == std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}

}  // namespace

TEST_CASE("every TLS listener demands a trusted client certificate when told to", "[tls][integration]") {
  for (const ListenerKind* kind : {&kMllp, &kSystemOne, &kFhir, &kAdmin}) {
    INFO(kind->name);
    check_required_client_certificates(*kind);
  }
}

TEST_CASE("every TLS listener keeps to min_version 1.3 and checks an optional client certificate",
          "[tls][integration]") {
  for (const ListenerKind* kind : {&kMllp, &kSystemOne, &kFhir, &kAdmin}) {
    INFO(kind->name);
    check_tls13_and_optional_client_certificates(*kind);
  }
}

TEST_CASE("validate names the line of a bad TLS version, cipher list or lone verify_client", "[tls][integration]") {
  TempDir dir("artery-tls-options");
  const auto& certs = TestCertificates::get();
  const std::string files = "cert: " + certs("server.pem") + ", key: " + certs("server.key");
  kMllp.write(dir / "old", "127.0.0.1", free_port(), "{enabled: true, " + files + ", min_version: 1.1}");
  kMllp.write(dir / "ciphers", "127.0.0.1", free_port(), "{enabled: true, " + files + ", ciphers: NOT-A-CIPHER}");
  kMllp.write(dir / "suites", "127.0.0.1", free_port(), "{enabled: true, " + files + ", ciphersuites: TLS_NOPE}");
  kMllp.write(dir / "noca", "127.0.0.1", free_port(), "{enabled: true, " + files + ", verify_client: true}");
  kAdmin.write(dir / "admin", "127.0.0.1", free_port(), "{enabled: true, " + files + ", min_version: 1.0}");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"old", "lab.yaml:5:"},  {"ciphers", "tls.ciphers"}, {"suites", "tls.ciphersuites"},
      {"noca", "needs tls.ca"}, {"admin", "artery.yaml:3:"}};
  for (const auto& [folder, what] : expected) {
    INFO(folder);
    std::string output;
    CHECK(run_artery(engine_args("validate", dir / folder), output) == 1);
    INFO(output);
    CHECK(output.find(what) != std::string::npos);
  }
}

TEST_CASE("artery run warns once for each listener reachable from the network without TLS", "[tls][integration]") {
  TempDir dir("artery-tls-warning");
  const int open_mllp = free_port(), tls_mllp = free_port(), local_mllp = free_port();
  const int open_systemone = free_port(), open_fhir = free_port(), open_admin = free_port();
  const auto& certs = TestCertificates::get();
  auto channel = [&](const std::string& name, int port, const std::string& host, const std::string& tls) {
    write_text(dir / "channels" / (name + ".yaml"),
               "name: " + name + "\nsource:\n  type: mllp\n  listen: " + host + ":" + std::to_string(port) + "\n" +
                   tls_line(tls) + "destinations:\n  - name: files\n    type: file\n    directory: " +
                   (dir / "out").string() +
                     "\n    filename: \"msg-${source.local_port}.hl7\"\n");
  };
  channel("open-mllp", open_mllp, "0.0.0.0", "");
  channel("tls-mllp", tls_mllp, "0.0.0.0",
          "{enabled: true, cert: " + certs("server.pem") + ", key: " + certs("server.key") + "}");
  channel("local-mllp", local_mllp, "127.0.0.1", "");
  kSystemOne.write(dir.path(), "0.0.0.0", open_systemone, "");
  kFhir.write(dir.path(), "0.0.0.0", open_fhir, "");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(),
                        "--http", "0.0.0.0:" + std::to_string(open_admin)},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("admin API and console on http://"));
  const std::string log = engine.log();
  auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  INFO(log);
  CHECK(count("without TLS") == 4);
  for (const auto& [who, port] : std::vector<std::pair<std::string, int>>{
           {"open-mllp", open_mllp}, {"epr", open_systemone}, {"ehr", open_fhir}, {"admin", open_admin}}) {
    INFO(who);
    // One line naming the channel (or admin), the address and the fix.
    const auto at = log.find("0.0.0.0:" + std::to_string(port) + " without TLS");
    REQUIRE(at != std::string::npos);
    const auto line_start = log.rfind('\n', at) + 1;
    const std::string line = log.substr(line_start, log.find('\n', at) - line_start);
    CHECK(line.find(who) != std::string::npos);
    CHECK(line.find("tls") != std::string::npos);
    CHECK(line.find("127.0.0.1") != std::string::npos);
  }
  CHECK(count(":" + std::to_string(tls_mllp) + " without TLS") == 0);
  CHECK(count(":" + std::to_string(local_mllp) + " without TLS") == 0);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("a login to the admin API over TLS gets a Secure session cookie", "[tls][integration]") {
  TempDir dir("artery-tls-cookie");
  const int port = free_port();
  const auto& certs = TestCertificates::get();
  kAdmin.write(dir.path(), "127.0.0.1", port,
               "{enabled: true, cert: " + certs("server.pem") + ", key: " + certs("server.key") + "}");
  ::setenv("ARTERY_ADMIN_PASSWORD", "the first admin's password", 1);
  EngineProcess engine(engine_args("run", dir.path()), dir / "engine.log");
  ::unsetenv("ARTERY_ADMIN_PASSWORD");
  REQUIRE(engine.wait_for_log(kAdmin.up));
  const std::string body = R"({"user":"admin","password":"the first admin's password"})";
  const std::string answer = tls_exchange(port, {certs("ca.pem"), "", "", ""},
                                          "POST /api/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                          "Content-Type: application/json\r\nContent-Length: " +
                                              std::to_string(body.size()) + "\r\n\r\n" + body,
                                          "");
  INFO(answer);
  REQUIRE(answer.rfind("HTTP/1.1 200", 0) == 0);
  const auto cookie = answer.find("Set-Cookie: artery_session=");
  REQUIRE(cookie != std::string::npos);
  const std::string line = answer.substr(cookie, answer.find("\r\n", cookie) - cookie);
  CHECK(line.find("; Secure") != std::string::npos);
  CHECK(line.find("HttpOnly") != std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}
