// "Not one acknowledged message lost", over MLLP: senders stream messages to
// the real engine, which is killed (SIGKILL) while they do. After a restart,
// every message that got an AA is delivered, including those acknowledged
// from the intake log but not yet applied to SQLite when the engine died.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

// Sends numbered ORU messages one at a time until the connection fails,
// recording the control id of each one answered AA.
void stream_until_killed(int port, int sender, std::set<std::string>& acknowledged, std::mutex& mutex) {
  int fd = connect_loopback(port);
  if (fd < 0) return;
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string buffer;
  for (int n = 0;; ++n) {
    const std::string id = "S" + std::to_string(sender) + "-" + std::to_string(n);
    const std::string frame = "\x0bMSH|^~\\&|MON|ICU|ARTERY|LAB|20261121083000||ORU^R01|" + id +
                              "|P|2.5.1\rPID|1||" + std::to_string(1000 + sender) +
                              "\rOBX|1|NM|2823-3^Potassium^LN||4.1|mmol/L\r\x1c\x0d";
    if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) break;
    std::size_t end;
    while ((end = buffer.find("\x1c\x0d")) == std::string::npos) {
      char chunk[1024];
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) {
        ::close(fd);
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
    const std::string ack = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    if (ack.find("MSA|AA|" + id) != std::string::npos) {
      std::lock_guard lock(mutex);
      acknowledged.insert(id);
    }
  }
  ::close(fd);
}

std::set<std::string> delivered_ids(const fs::path& file) {
  std::set<std::string> ids;
  std::istringstream lines(fs::exists(file) ? read_text(file) : std::string());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) ids.insert(line);
  return ids;
}

}  // namespace

TEST_CASE("every message acknowledged over MLLP is delivered after a SIGKILL", "[integration][mllp]") {
  TempDir dir("artery-mllp-crash");
  const int port = free_port();
  // The destination writes each message's control id on a line of its own.
  write_text(dir / "channels/ids.lua", "local M = {}\nfunction M.transform(msg, ctx)\n"
                                       "  return msg:get(\"MSH-10\")\nend\nreturn M\n");
  write_text(dir / "channels/crash.yaml",
             "name: crash\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                 "\nscript: ids.lua\ndestinations:\n  - name: ids\n    type: file\n    directory: ../out\n"
                 "    filename: ids.txt\n    mode: append\n    atomic: false\n    separator: \"\\n\"\n");
  const std::vector<std::string> args{"run", "--channels", (dir / "channels").string(), "--data",
                                      (dir / "data").string()};
  std::set<std::string> acknowledged;
  std::mutex mutex;
  {
    EngineProcess engine(args, dir / "engine-1.log");
    REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
    std::vector<std::thread> senders;
    for (int s = 0; s < 4; ++s)
      senders.emplace_back([&, s] { stream_until_killed(port, s, acknowledged, mutex); });
    REQUIRE(eventually([&] {
      std::lock_guard lock(mutex);
      return acknowledged.size() >= 3000;
    }, std::chrono::seconds(60)));
    engine.stop(SIGKILL);
    for (auto& sender : senders) sender.join();
  }
  INFO(acknowledged.size() << " messages acknowledged before the kill");
  REQUIRE(acknowledged.size() >= 3000);
  const auto before_restart = delivered_ids(dir / "out/ids.txt");

  EngineProcess engine(args, dir / "engine-2.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  std::size_t missing = acknowledged.size();
  eventually([&] {
    auto delivered = delivered_ids(dir / "out/ids.txt");
    missing = 0;
    for (const auto& id : acknowledged) missing += delivered.count(id) == 0;
    return missing == 0;
  }, std::chrono::seconds(60));
  INFO(before_restart.size() << " delivered before the restart; the log of the restart:\n" << engine.log());
  CHECK(missing == 0);
  CHECK(engine.stop(SIGTERM) == 0);
}
