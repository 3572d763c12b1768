// MLLP TLS as a user sets it: in channel YAML, through `artery validate` and
// `artery run`. (TLS once passed unit tests that built options in C++ while
// `tls:` written in YAML was silently off.) The peers are real: openssl's
// s_client as a TLS sender, a plaintext socket, and a second Artery channel
// whose TLS listener is the destination's server.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kMessage = "MSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|TLS-1|P|2.5\rPID|1||777\r";

// The shared test CA and server certificate (tests/support), copied where
// the channel files can name them.
void make_certificates(const fs::path& dir) {
  const auto& certs = TestCertificates::get();
  fs::create_directories(dir);
  for (const char* name : {"ca.pem", "server.pem", "server.key"}) fs::copy_file(certs(name), dir / name);
}

std::string listener_channel(const std::string& name, int port, const std::string& tls_block,
                             const std::string& out_dir) {
  return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n" +
         tls_block + "destinations:\n  - name: files\n    type: file\n    directory: " + out_dir +
         "\n    filename: \"msg-${source.local_port}.hl7\"\n";
}

// What a plaintext sender gets from the port: "" when the engine closed it or
// said nothing within 3 s.
std::string plaintext_exchange(int port) { return exchange_plaintext(port, "\x0b" + kMessage + "\x1c\x0d"); }

// openssl s_client as the sender: verifies the server against the CA.
std::string tls_exchange(int port, const fs::path& ca, const fs::path& work) {
  write_text(work / "frame.bin", "\x0b" + kMessage + "\x1c\x0d");
  const std::string command = "(cat '" + (work / "frame.bin").string() + "'; sleep 2) | timeout 10 openssl s_client " +
                              "-connect 127.0.0.1:" + std::to_string(port) + " -CAfile '" + ca.string() +
                              "' -verify_return_error -quiet 2>/dev/null";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char chunk[4096];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) out.append(chunk, n);
    ::pclose(pipe);
  }
  return out;
}

std::size_t files_in(const fs::path& dir) {
  std::error_code ec;
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) count += entry.is_regular_file() ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("validate refuses TLS whose certificate files do not exist, and typos inside tls") {
  TempDir dir("artery-tls-validate");
  const int port = free_port();
  write_text(dir / "channels/in.yaml",
             listener_channel("in", port, "  tls: {enabled: true, cert: nope.pem, key: nope.key}\n", "out"));
  write_text(dir / "channels/typo.yaml",
             listener_channel("typo", free_port(), "  tls:\n    enabld: true\n", "out"));
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  CHECK(output.find("in.yaml:5:") != std::string::npos);
  CHECK(output.find("file not found: nope.pem") != std::string::npos);
  CHECK(output.find("file not found: nope.key") != std::string::npos);
  CHECK(output.find("unknown key 'tls.enabld'") != std::string::npos);
  CHECK(output.find("did you mean 'enabled'") != std::string::npos);

  // TLS on without a certificate is refused too, though no file is named.
  write_text(dir / "flat/flat.yaml", listener_channel("flat", port, "  tls.enabled: true\n", "out"));
  CHECK(run_artery({"validate", (dir / "flat").string()}, output) == 1);
  CHECK(output.find("tls.cert and tls.key are required") != std::string::npos);
}

TEST_CASE("an MLLP source with TLS in YAML refuses plaintext and serves a TLS sender") {
  TempDir dir("artery-tls-run");
  make_certificates(dir / "certs");
  const auto certs = (dir / "certs").string();
  const int port = free_port();
  // The flat form and the nested form are the same setting.
  SECTION("nested") {
    write_text(dir / "channels/in.yaml",
               listener_channel("in", port,
                                "  tls:\n    enabled: true\n    cert: " + certs + "/server.pem\n    key: " + certs +
                                    "/server.key\n",
                                (dir / "out").string()));
  }
  SECTION("flat") {
    write_text(dir / "channels/in.yaml",
               listener_channel("in", port,
                                "  tls.enabled: true\n  tls.cert: " + certs + "/server.pem\n  tls.key: " + certs +
                                    "/server.key\n",
                                (dir / "out").string()));
  }
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));

  CHECK(plaintext_exchange(port).find("MSA|AA") == std::string::npos);
  const std::string answer = tls_exchange(port, dir / "certs/ca.pem", dir.path());
  CHECK(answer.find("MSA|AA|TLS-1") != std::string::npos);
  CHECK(eventually([&] { return files_in(dir / "out") == 1; }));
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("an MLLP destination with TLS in YAML really handshakes with its server") {
  TempDir dir("artery-tls-destination");
  make_certificates(dir / "certs");
  const auto certs = (dir / "certs").string();
  const int tls_port = free_port();
  const int plain_port = free_port();
  // The server: a TLS listener channel. The client: a plaintext listener whose
  // destination sends on over TLS, trusting only the test CA.
  write_text(dir / "channels/server.yaml",
             listener_channel("server", tls_port,
                              "  tls: {enabled: true, cert: " + certs + "/server.pem, key: " + certs +
                                  "/server.key}\n",
                              (dir / "out").string()));
  write_text(dir / "channels/client.yaml",
             "name: client\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(plain_port) +
                 "\ndestinations:\n  - name: onward\n    type: mllp\n    remote: localhost:" +
                 std::to_string(tls_port) + "\n    ack_timeout: 5s\n    tls:\n      enabled: true\n      ca: " +
                 certs + "/ca.pem\n    retry: {max: 100, initial: 100ms, max_delay: 200ms}\n");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  CHECK(plaintext_exchange(plain_port).find("MSA|AA|TLS-1") != std::string::npos);
  // Delivered over TLS: the server channel stored it and wrote its file,
  // naming the peer it saw.
  CHECK(eventually([&] { return files_in(dir / "out") == 1; }));
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("an MLLP destination with TLS does not fall back to plaintext") {
  TempDir dir("artery-tls-no-fallback");
  make_certificates(dir / "certs");
  const int plain_server = free_port();
  const int client_port = free_port();
  // The "server" is a plaintext MLLP listener: a TLS client must fail its
  // handshake there and keep the delivery queued, never SENT in the clear.
  write_text(dir / "channels/server.yaml", listener_channel("server", plain_server, "", (dir / "out").string()));
  write_text(dir / "channels/client.yaml",
             "name: client\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(client_port) +
                 "\ndestinations:\n  - name: onward\n    type: mllp\n    remote: localhost:" +
                 std::to_string(plain_server) + "\n    ack_timeout: 1s\n    connect_timeout: 1s\n    tls:\n"
                 "      enabled: true\n      ca: " + (dir / "certs/ca.pem").string() +
                 "\n    retry: {max: 100, initial: 100ms, max_delay: 200ms}\n");
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  CHECK(plaintext_exchange(client_port).find("MSA|AA|TLS-1") != std::string::npos);
  CHECK(engine.wait_for_log("attempt 1 failed", std::chrono::seconds(10)));
  ::usleep(500'000);
  CHECK(files_in(dir / "out") == 0);
  CHECK(engine.stop(SIGTERM) == 0);
}
