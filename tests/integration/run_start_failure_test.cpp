// `artery run` when channels cannot start: every failure at ERROR with its
// reason, a summary, and a non-zero exit when nothing could start (a
// supervisor must see it), but running on when some did.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

// A loopback port held open by the test, so a channel's bind fails.
struct OccupiedPort {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  OccupiedPort() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~OccupiedPort() { ::close(fd); }
};

std::string mllp_channel(const std::string& name, int port) {
  return "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n";
}

}  // namespace

TEST_CASE("artery run exits 1 and says why when no channel can start", "[integration][cli][run]") {
  TempDir dir("artery-run");
  OccupiedPort mllp_port, systemone_port;
  write_text(dir / "channels/monitors.yaml", mllp_channel("monitors", mllp_port.port));
  write_text(dir / "channels/epr.yaml", "name: epr\nsource:\n  type: systemone\n  listen: 127.0.0.1:" +
                                            std::to_string(systemone_port.port) + "\n  api_keys: [k]\n");
  write_text(dir / "channels/broken.yaml", "name: broken\nsource: {type: mllp, listen: 127.0.0.1:1, bogus: 1}\n");
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(eventually([&] { return !engine.running(); }, std::chrono::seconds(20)));
  const std::string log = engine.log();
  INFO(log);
  CHECK(engine.stop(SIGKILL) == 1);
  // The bind errors name the address, with the system's words and no Boost source location.
  CHECK(log.find("ERROR [monitors] not started: source (mllp): cannot listen on 127.0.0.1:" +
                 std::to_string(mllp_port.port) + ": Address already in use") != std::string::npos);
  CHECK(log.find("ERROR [epr] not started: source (systemone): cannot listen on 127.0.0.1:" +
                 std::to_string(systemone_port.port) + ": Address already in use") != std::string::npos);
  CHECK(log.find("[system:") == std::string::npos);
  CHECK(log.find("boost/") == std::string::npos);
  CHECK(log.find("broken.yaml: channel not deployed") != std::string::npos);
  CHECK(log.find("ERROR [engine] 0 of 3 channels started; not started: ") != std::string::npos);
  CHECK(log.find("ERROR [engine] no channel could start; exiting") != std::string::npos);
}

TEST_CASE("artery run keeps running when some channels start, and names the others at ERROR",
          "[integration][cli][run]") {
  TempDir dir("artery-run");
  OccupiedPort taken;
  const int free = free_port();
  write_text(dir / "channels/a-taken.yaml", mllp_channel("a-taken", taken.port));
  write_text(dir / "channels/b-free.yaml", mllp_channel("b-free", free));
  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 2 channels"));
  const std::string log = engine.log();
  INFO(log);
  CHECK(log.find("ERROR [a-taken] not started: source (mllp): cannot listen on 127.0.0.1:" +
                 std::to_string(taken.port) + ": Address already in use") != std::string::npos);
  CHECK(log.find("ERROR [engine] 1 of 2 channels started; not started: a-taken") != std::string::npos);
  // "listening on" names the host as well as the port.
  CHECK(log.find("mllp: listening on 127.0.0.1:" + std::to_string(free)) != std::string::npos);
  CHECK(engine.running());
  CHECK(engine.stop(SIGTERM) == 0);
}
