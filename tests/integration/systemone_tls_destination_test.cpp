// The systemone destination over TLS as a user sets it: channel YAML with a
// `tls:` block (certificate paths relative to the channel file), `artery
// validate`, `artery run`. The server is the engine's own SystemOne TLS
// listener in a second channel, requiring a client certificate; a plaintext
// SystemOne listener in front (the relay) is how the test hands the engine
// a message to deliver.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <utility>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

std::string request(const std::string& uid) {
  return "<ClientIntegrationRequest><APIKey>tls-key</APIKey><DeviceID>D1</DeviceID><DeviceVersion>t</DeviceVersion>"
         "<RequestUID>" + uid + "</RequestUID><Function>Ping</Function><FunctionVersion>1.0</FunctionVersion>"
         "<FunctionParameters/></ClientIntegrationRequest>\n";
}

// The server answers with the subject of the client certificate it was
// shown, so the test sees that the destination really presented one, and
// with the address it was called from, which stays the same while the
// destination keeps its connection.
const char* kServerScript = R"(local M = {}
function M.transform(msg, ctx)
  ctx.response = "<Pong>" .. ctx.source["request_uid"] .. " from " .. (ctx.source["tls_peer_subject"] or "nobody") ..
                 " via " .. ctx.source["remote"] .. "</Pong>"
end
return M
)";

// The relay (ack: after-store) answers its sender at once; delivery follows.
const char* kRelayScript = R"(local M = {}
function M.transform(msg, ctx)
  ctx.response = "<Queued/>"
end
return M
)";

// A mutual-TLS SystemOne listener that stores each request it is sent as a
// file in `out_dir`, and closes a connection idle for 1 s.
std::string server_channel(int port, const std::string& out_dir) {
  return "name: epr-server\nsource:\n  type: systemone\n  listen: 127.0.0.1:" + std::to_string(port) +
         "\n  api_keys: [tls-key]\n  idle_timeout: 1s\n  tls:\n    enabled: true\n    cert: certs/server.pem\n    key: certs/server.key\n"
         "    ca: certs/ca.pem\n    verify_client: true\nscript: server.lua\n"
         "destinations:\n  - name: files\n    type: file\n    directory: " + out_dir +
         "\n    filename: \"${source.request_uid}.xml\"\n";
}

// A plaintext SystemOne listener whose destination calls the server over TLS.
std::string relay_channel(int port, int server_port, const std::string& ack, const std::string& tls_block) {
  return "name: epr-relay\nack: " + ack + "\nsource:\n  type: systemone\n  listen: 127.0.0.1:" +
         std::to_string(port) + "\n" + (ack == "after-store" ? "script: relay.lua\n" : "") +
         "destinations:\n  - name: epr\n    type: systemone\n    remote: localhost:" + std::to_string(server_port) +
         "\n    api_key: tls-key\n    rate_limit: 0s\n    connect_timeout: 2s\n    response_timeout: 5s\n" +
         tls_block + "    retry: {max: 1000, initial: 100ms, max_delay: 200ms}\n";
}

const std::string kTrustedClient =
    "    tls:\n      enabled: true\n      ca: certs/ca.pem\n      cert: certs/client.pem\n      key: certs/client.key\n";

void make_channels_dir(const fs::path& channels) {
  const auto& certs = TestCertificates::get();
  fs::create_directories(channels / "certs");
  for (const char* name : {"ca.pem", "server.pem", "server.key", "client.pem", "client.key"})
    fs::copy_file(certs(name), channels / "certs" / name);
  write_text(channels / "server.lua", kServerScript);
  write_text(channels / "relay.lua", kRelayScript);
}

// Several request/response exchanges over one plaintext connection.
class LineClient {
 public:
  explicit LineClient(int port) : fd_(connect_loopback(port)) {
    timeval timeout{15, 0};
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~LineClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;
  // Writes `text` and reads up to the end of the response document.
  std::string exchange(const std::string& text) {
    if (fd_ < 0 || ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
      return {};
    const std::string end = "</ClientIntegrationResponse>";
    while (pending_.find(end) == std::string::npos) {
      char chunk[4096];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) return std::exchange(pending_, {});
      pending_.append(chunk, static_cast<std::size_t>(got));
    }
    const auto stop = pending_.find(end) + end.size();
    std::string document = pending_.substr(0, stop);
    pending_.erase(0, stop);
    return document;
  }

 private:
  int fd_;
  std::string pending_;
};

std::size_t files_in(const fs::path& dir) {
  std::error_code ec;
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) count += entry.is_regular_file() ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("a systemone destination with TLS in YAML calls a mutual-TLS server and reuses the connection") {
  TempDir dir("artery-systemone-tls-destination");
  const auto channels = dir / "channels";
  make_channels_dir(channels);
  const int server_port = free_port();
  const int relay_port = free_port();
  write_text(channels / "server.yaml", server_channel(server_port, (dir / "out").string()));
  // after-delivery: the relay answers with the server's response, so the
  // sender sees what came back over TLS.
  write_text(channels / "relay.yaml", relay_channel(relay_port, server_port, "after-delivery", kTrustedClient));
  std::string output;
  REQUIRE(run_artery({"validate", channels.string()}, output) == 0);

  EngineProcess engine({"run", "--channels", channels.string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  LineClient sender(relay_port);
  // Three calls in a row: the first opens the TLS connection, the others
  // must find it alive (the idle check reads through TLS: session tickets
  // and the previous response's newline are not a dead connection).
  std::set<std::string> callers;
  for (const char* uid : {"TLS-DEST-1", "TLS-DEST-2", "TLS-DEST-3"}) {
    const std::string answer = sender.exchange(request(uid));
    INFO(answer);
    CHECK(answer.find("<Pong>" + std::string(uid) + " from ") != std::string::npos);
    CHECK(answer.find("CN=artery-client") != std::string::npos);
    const auto via = answer.find(" via ");
    const auto end = answer.find("</Pong>");
    if (via != std::string::npos && end != std::string::npos) callers.insert(answer.substr(via + 5, end - via - 5));
    ::usleep(200'000);  // idle between calls, as a kept connection is between messages
  }
  // One TLS connection carried all three requests.
  CHECK(callers.size() == 1);
  // The server drops the connection once idle for 1 s: the next send must
  // notice before writing and call on a fresh connection, not fail a try.
  ::usleep(1'600'000);
  const std::string after_idle = sender.exchange(request("TLS-DEST-4"));
  CHECK(after_idle.find("<Pong>TLS-DEST-4 from ") != std::string::npos);
  const auto via = after_idle.find(" via ");
  const auto end = after_idle.find("</Pong>");
  if (via != std::string::npos && end != std::string::npos)
    CHECK(callers.count(after_idle.substr(via + 5, end - via - 5)) == 0);
  CHECK(eventually([&] { return files_in(dir / "out") == 4; }));
  CHECK(engine.log().find("attempt 1 failed") == std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("a systemone destination verifies the server by default: an untrusted certificate fails and retries") {
  TempDir dir("artery-systemone-tls-untrusted");
  const auto channels = dir / "channels";
  make_channels_dir(channels);
  const int server_port = free_port();
  const int relay_port = free_port();
  write_text(channels / "server.yaml", server_channel(server_port, (dir / "out").string()));
  // No tls.ca: the system store, which does not know the test CA.
  write_text(channels / "relay.yaml",
             relay_channel(relay_port, server_port, "after-store",
                           "    tls:\n      enabled: true\n      cert: certs/client.pem\n      key: certs/client.key\n"));
  std::string output;
  REQUIRE(run_artery({"validate", channels.string()}, output) == 0);
  {
    EngineProcess engine({"run", "--channels", channels.string(), "--data", (dir / "data").string()},
                         dir / "engine.log");
    REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
    LineClient sender(relay_port);
    CHECK(sender.exchange(request("TLS-UNTRUSTED-1")).find("<Queued/>") != std::string::npos);
    REQUIRE(engine.wait_for_log("attempt 2 failed", std::chrono::seconds(15)));
    const std::string log = engine.log();
    INFO(log);
    CHECK(log.find("TLS handshake with localhost:" + std::to_string(server_port)) != std::string::npos);
    CHECK(log.find("certificate verify failed") != std::string::npos);
    CHECK(files_in(dir / "out") == 0);
    CHECK(engine.stop(SIGTERM) == 0);
  }
  // Nothing was lost: with the CA named, the restarted engine delivers the
  // queued request.
  write_text(channels / "relay.yaml", relay_channel(relay_port, server_port, "after-store", kTrustedClient));
  REQUIRE(run_artery({"validate", channels.string()}, output) == 0);
  EngineProcess engine({"run", "--channels", channels.string(), "--data", (dir / "data").string()},
                       dir / "engine2.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  // The file destination writes a temporary name, then renames it: wait for the final name.
  CHECK(eventually([&] { return fs::exists(dir / "out/TLS-UNTRUSTED-1.xml"); }, std::chrono::seconds(15)));
  CHECK(files_in(dir / "out") == 1);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("validate refuses a systemone destination's client certificate without its key") {
  TempDir dir("artery-systemone-tls-destination-validate");
  const auto channels = dir / "channels";
  make_channels_dir(channels);
  write_text(channels / "relay.yaml",
             relay_channel(free_port(), free_port(), "after-store",
                           "    tls: {enabled: true, ca: certs/ca.pem, cert: certs/client.pem}\n"));
  std::string output;
  CHECK(run_artery({"validate", channels.string()}, output) == 1);
  CHECK(output.find("relay.yaml") != std::string::npos);
  CHECK(output.find("tls.key") != std::string::npos);

  write_text(channels / "relay.yaml",
             relay_channel(free_port(), free_port(), "after-store", "    tls: {enabled: true, ca: certs/nope.pem}\n"));
  CHECK(run_artery({"validate", channels.string()}, output) == 1);
  CHECK(output.find("file not found: certs/nope.pem") != std::string::npos);
}
