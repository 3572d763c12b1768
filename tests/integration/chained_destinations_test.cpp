// Chained destinations through the real binary: `after:` makes a destination
// wait for others' outcomes on each message and read their responses and
// states (ctx.responses, ctx.states); an awaited ERROR does not stop it; a
// waiting delivery whose predecessor finished before a SIGKILL runs after the
// restart with the predecessor's response read back from the store.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

bool send_hl7(int port, const std::string& id) {
  int fd = connect_loopback(port);
  if (fd < 0) return false;
  const std::string frame = "\x0bMSH|^~\\&|MON|ICU|ARTERY|LAB|20261121083000||ORU^R01|" + id +
                            "|P|2.5.1\rPID|1||555\r\x1c\x0d";
  std::string ack;
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size())) {
    char chunk[1024];
    while (ack.find("\x1c\x0d") == std::string::npos) {
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      ack.append(chunk, static_cast<std::size_t>(got));
    }
  }
  ::close(fd);
  return ack.find("MSA|AA|" + id) != std::string::npos;
}

std::string text_of(const fs::path& file) { return fs::exists(file) ? read_text(file) : std::string(); }

// lookup answers; broken fails in its script (ERROR at once); notify waits for
// both, and delivers only once the file out/go exists (until then it retries).
void write_chain(const TempDir& dir, int port) {
  write_text(dir / "channels/lookup.lua", R"(local M = {}
function M.send(msg, ctx)
  fs.append("lookup.txt", msg:get("MSH-10") .. "\n")
  return "looked-up-" .. msg:get("MSH-10")
end
return M
)");
  write_text(dir / "channels/broken.lua", R"(local M = {}
function M.transform(msg, ctx) error("no such ward") end
function M.send(msg, ctx) return "never" end
return M
)");
  write_text(dir / "channels/notify.lua", R"(local M = {}
function M.send(msg, ctx)
  if not fs.exists("go") then error("not yet") end
  fs.append("notify.txt", msg:get("MSH-10") .. " " .. ctx.responses.lookup .. " " .. ctx.states.lookup ..
            " " .. ctx.states.broken .. "\n")
  return "notified"
end
return M
)");
  write_text(dir / "channels/chain.yaml", "name: chain\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                              std::to_string(port) + R"(
destinations:
  - name: notify
    type: lua
    script: notify.lua
    directories: [../out]
    after: [lookup, broken]
    retry: {max: 1000, initial: 50ms, max_delay: 100ms}
  - name: lookup
    type: lua
    script: lookup.lua
    directories: [../out]
  - name: broken
    type: lua
    script: broken.lua
    directories: [../out]
)");
}

std::vector<std::string> run_args(const TempDir& dir) {
  return {"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()};
}

}  // namespace

TEST_CASE("a destination waits for others and reads their responses and states", "[integration][chained]") {
  TempDir dir("artery-chained");
  const int port = free_port();
  write_chain(dir, port);
  write_text(dir / "out/go", "");
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  EngineProcess engine(run_args(dir), dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  for (const char* id : {"C1", "C2", "C3"}) REQUIRE(send_hl7(port, id));
  const std::string expected = "C1 looked-up-C1 SENT ERROR\nC2 looked-up-C2 SENT ERROR\nC3 looked-up-C3 SENT ERROR\n";
  CHECK(eventually([&] { return text_of(dir / "out/notify.txt") == expected; }));
  INFO(engine.log());
  CHECK(text_of(dir / "out/notify.txt") == expected);
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("a waiting delivery runs after a SIGKILL with what it awaited read from the store",
          "[integration][chained]") {
  TempDir dir("artery-chained-crash");
  const int port = free_port();
  write_chain(dir, port);
  {
    EngineProcess engine(run_args(dir), dir / "engine-1.log");
    REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
    REQUIRE(send_hl7(port, "K1"));
    REQUIRE(send_hl7(port, "K2"));
    REQUIRE(eventually([&] { return text_of(dir / "out/lookup.txt") == "K1\nK2\n"; }));
    // lookup's SENT is committed within the store writer's few-ms linger; notify keeps retrying.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(text_of(dir / "out/notify.txt").empty());
    engine.stop(SIGKILL);
  }
  write_text(dir / "out/go", "");
  EngineProcess engine(run_args(dir), dir / "engine-2.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  const std::string expected = "K1 looked-up-K1 SENT ERROR\nK2 looked-up-K2 SENT ERROR\n";
  CHECK(eventually([&] { return text_of(dir / "out/notify.txt") == expected; }));
  INFO(engine.log());
  CHECK(text_of(dir / "out/notify.txt") == expected);
  CHECK(text_of(dir / "out/lookup.txt") == "K1\nK2\n");  // not sent again: its outcome came from the store
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("validate reports unknown and cyclic after: names at file:line:col", "[integration][chained]") {
  TempDir dir("artery-chained-validate");
  write_text(dir / "channels/noop.lua", "local M = {}\nfunction M.send(msg, ctx) return '' end\nreturn M\n");
  write_text(dir / "channels/c.yaml", R"(name: c
source:
  type: channel
destinations:
  - name: first
    type: lua
    script: noop.lua
    after: [second]
  - name: second
    type: lua
    script: noop.lua
    after: [frist, first]
)");
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels/c.yaml").string()}, output) == 1);
  INFO(output);
  CHECK(output.find("c.yaml:12:13: destination 'second' waits for unknown destination 'frist' (did you mean "
                    "'first'?)") != std::string::npos);
  CHECK(output.find("destinations wait for each other in a cycle: first -> second -> first") != std::string::npos);
}
