// SystemOne over TLS as a user sets it: channel YAML with tls.* (relative
// certificate paths, the `file` option type), `artery validate`, `artery run`,
// then a real TLS client and a plaintext one against the running engine.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kRequest =
    "<ClientIntegrationRequest><APIKey>tls-key</APIKey><DeviceID>D1</DeviceID><DeviceVersion>t</DeviceVersion>"
    "<RequestUID>TLS-CHANNEL-1</RequestUID><Function>Ping</Function><FunctionVersion>1.0</FunctionVersion>"
    "<FunctionParameters/></ClientIntegrationRequest>\n";

std::string channel(int port, const std::string& tls_block) {
  return "name: epr-tls\nsource:\n  type: systemone\n  listen: 127.0.0.1:" + std::to_string(port) +
         "\n  api_keys: [tls-key]\n" + tls_block + "script: ping.lua\n";
}

const char* kScript = R"(local M = {}
function M.transform(msg, ctx)
  ctx.response = "<Pong>" .. ctx.source["request_uid"] .. "</Pong>"
end
return M
)";

}  // namespace

TEST_CASE("a systemone source with TLS in YAML validates, refuses plaintext and answers a TLS client") {
  const auto& certs = TestCertificates::get();
  TempDir dir("artery-systemone-tls");
  // Certificates beside the channel file, named relative to it.
  fs::create_directories(dir / "channels/certs");
  for (const char* name : {"server.pem", "server.key", "ca.pem"})
    fs::copy_file(certs(name), dir / "channels/certs" / name);
  const int port = free_port();
  write_text(dir / "channels/ping.lua", kScript);
  write_text(dir / "channels/epr.yaml",
             channel(port, "  tls:\n    enabled: true\n    cert: certs/server.pem\n    key: certs/server.key\n"));
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  CHECK(engine.log().find("systemone: listening on 127.0.0.1:" + std::to_string(port) + " (TLS)") !=
        std::string::npos);

  CHECK(exchange_plaintext(port, kRequest).find("Pong") == std::string::npos);
  TlsClient client(port, {certs("ca.pem"), "", ""});
  REQUIRE(client.handshake_error().empty());
  client.write(kRequest);
  const std::string line = client.read_line();
  CHECK(line.find("<Pong>TLS-CHANNEL-1</Pong>") != std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("validate refuses systemone TLS without its certificate, or with files that do not exist") {
  TempDir dir("artery-systemone-tls-validate");
  write_text(dir / "missing/ping.lua", kScript);
  write_text(dir / "missing/epr.yaml", channel(free_port(), "  tls: {enabled: true, cert: nope.pem, key: nope.key}\n"));
  std::string output;
  CHECK(run_artery({"validate", (dir / "missing").string()}, output) == 1);
  CHECK(output.find("file not found: nope.pem") != std::string::npos);

  write_text(dir / "bare/ping.lua", kScript);
  write_text(dir / "bare/epr.yaml", channel(free_port(), "  tls: {enabled: true}\n"));
  CHECK(run_artery({"validate", (dir / "bare").string()}, output) == 1);
  CHECK(output.find("tls.cert and tls.key are required") != std::string::npos);
}
