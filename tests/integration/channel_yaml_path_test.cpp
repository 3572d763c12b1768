// Defects a new user hit, each reproduced the way they met it: a channel
// written from the docs, `artery validate`, `artery run`, a client on a socket
// or a file in a folder, and what the store kept.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const std::string kOru = "MSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|CTRL-9|P|2.5\rPID|1||777^^^H||DOE^JANE\r";

// One value from the stopped engine's store.
std::string query(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return out;
}

// Sends one MLLP frame and returns the ACK's content ("" on timeout).
std::string mllp_exchange(int port, const std::string& message) {
  int fd = connect_loopback(port);
  REQUIRE(fd >= 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string frame = "\x0b" + message + "\x1c\x0d";
  REQUIRE(::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size()));
  std::string answer;
  char chunk[4096];
  while (answer.find("\x1c\x0d") == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

struct Deployment {
  TempDir dir{"artery-yaml-path"};
  std::unique_ptr<EngineProcess> engine;

  void validate_ok() {
    std::string output;
    INFO(output);
    REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  }
  void run(int channels = 1) {
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
        dir / "engine.log");
    const std::string n = std::to_string(channels);
    INFO(engine->log());
    REQUIRE(engine->wait_for_log("running " + n + " of " + n + " channels"));
  }
  void stop() { REQUIRE(engine->stop(SIGTERM) == 0); }
  fs::path db() const { return dir / "data/artery.db"; }
};

// Files are written under a hidden name and renamed, as a sending system should.
void drop_file(const fs::path& folder, const std::string& name, const std::string& content) {
  write_text(folder / ("." + name + ".part"), content);
  fs::rename(folder / ("." + name + ".part"), folder / name);
}

}  // namespace

TEST_CASE("a file source's data_type: hl7v2 gives scripts an HL7 message and the store its metadata") {
  Deployment d;
  write_text(d.dir / "scripts/pid.lua",
             "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.vars.pid = msg:get('PID-3.1')\n"
             "  return msg:get('PID-5.1') .. ' from ' .. ctx.source.filename\nend\nreturn M\n");
  write_text(d.dir / "channels/files.yaml",
             "name: files\nsource:\n  type: file\n  directory: ../in\n  glob: \"*.hl7\"\n  poll_interval: 100ms\n"
             "  data_type: hl7v2\nscript: ../scripts/pid.lua\ndestinations:\n  - name: out\n    type: file\n"
             "    directory: ../out\n    filename: \"${pid}-${source.filename}.txt\"\n");
  fs::create_directories(d.dir / "in");
  d.validate_ok();
  d.run();
  drop_file(d.dir / "in", "a.hl7", kOru);
  CHECK(eventually([&] { return fs::exists(d.dir / "out/777-a.hl7.txt"); }));
  CHECK(read_text(d.dir / "out/777-a.hl7.txt") == "DOE from a.hl7");
  CHECK_FALSE(fs::exists(d.dir / "in/error/a.hl7"));
  d.stop();
  CHECK(query(d.db(), "SELECT message_type || '|' || control_id || '|' || patient_id FROM messages") ==
        "ORU^R01|CTRL-9|777");
}

TEST_CASE("an MLLP source's data_type: text hands scripts the text") {
  Deployment d;
  const int port = free_port();
  write_text(d.dir / "scripts/kind.lua", "local M = {}\nfunction M.transform(msg) return type(msg) end\nreturn M\n");
  write_text(d.dir / "channels/text.yaml",
             "name: text\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                 "\n  data_type: text\nscript: ../scripts/kind.lua\ndestinations:\n  - name: out\n    type: file\n"
                 "    directory: ../out\n    filename: kind.txt\n");
  d.validate_ok();
  d.run();
  CHECK(mllp_exchange(port, kOru).find("MSA|AA|CTRL-9") != std::string::npos);
  CHECK(eventually([&] { return fs::exists(d.dir / "out/kind.txt"); }));
  CHECK(read_text(d.dir / "out/kind.txt") == "string");
  d.stop();
}

TEST_CASE("a template variable that is not set fails the delivery by name, a default is used") {
  Deployment d;
  const int port = free_port();
  write_text(d.dir / "channels/vars.yaml",
             "name: vars\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) +
                 "\ndestinations:\n  - name: unset\n    type: file\n    directory: ../out\n    filename: \"${x}.txt\"\n"
                 "  - name: fallback\n    type: file\n    directory: ../out\n    filename: \"${x:-unknown}.txt\"\n");
  d.validate_ok();
  d.run();
  CHECK(mllp_exchange(port, kOru).find("MSA|AA") != std::string::npos);
  CHECK(eventually([&] { return fs::exists(d.dir / "out/unknown.txt"); }));
  d.stop();
  CHECK_FALSE(fs::exists(d.dir / "out/.txt"));
  CHECK(query(d.db(), "SELECT state FROM deliveries WHERE destination = 'unset'") == "ERROR");
  CHECK(query(d.db(), "SELECT error FROM deliveries WHERE destination = 'unset'").find("variable 'x' is not set") !=
        std::string::npos);
}

TEST_CASE("a negative acknowledgement carries the error's first line, the store the traceback") {
  Deployment d;
  const int port = free_port();
  write_text(d.dir / "scripts/fails.lua",
             "local M = {}\nlocal function check(msg) error('no ward for this patient') end\n"
             "function M.transform(msg) check(msg) end\nreturn M\n");
  write_text(d.dir / "channels/fails.yaml", "name: fails\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                                std::to_string(port) + "\nscript: ../scripts/fails.lua\n");
  d.validate_ok();
  d.run();
  const std::string ack = mllp_exchange(port, kOru);
  CHECK(ack.find("MSA|AE|CTRL-9") != std::string::npos);
  CHECK(ack.find("no ward for this patient") != std::string::npos);
  CHECK(ack.find("traceback") == std::string::npos);
  CHECK(ack.find("[C]") == std::string::npos);
  d.stop();
  CHECK(query(d.db(), "SELECT error FROM messages").find("stack traceback") != std::string::npos);
}

TEST_CASE("validate loads scripts as run does") {
  TempDir dir("artery-validate-scripts");
  auto channel = [&](const std::string& name) {
    write_text(dir / ("channels/" + name + ".yaml"), "name: " + name + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                                        std::to_string(free_port()) + "\nscript: ../scripts/" + name +
                                                        ".lua\n");
  };
  write_text(dir / "scripts/noreturn.lua", "local M = {}\nfunction M.transform(msg) end\n");
  write_text(dir / "scripts/toplevel.lua", "local M = {}\nlocal x = nil\nx.boom = 1\nreturn M\n");
  write_text(dir / "scripts/typo.lua", "local M = {}\n\nfunction M.transfrom(msg) end\nreturn M\n");
  write_text(dir / "scripts/wrongplace.lua", "local M = {}\nfunction M.send(msg) end\nreturn M\n");
  write_text(dir / "scripts/private.lua",
             "local M = {}\nfunction M._helper() end\nfunction M.filter() return true end\nreturn M\n");
  for (auto name : {"noreturn", "toplevel", "typo", "wrongplace", "private"}) channel(name);
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  INFO(output);
  CHECK(output.find("noreturn.lua: the script must return a table") != std::string::npos);
  CHECK(output.find("toplevel.lua:3:1: attempt to index a nil value") != std::string::npos);
  CHECK(output.find("typo.lua:3:1: unknown name M.transfrom") != std::string::npos);
  CHECK(output.find("did you mean 'transform'") != std::string::npos);
  CHECK(output.find("wrongplace.lua:2:1: unknown name M.send") != std::string::npos);
  CHECK(output.find("private.lua") == std::string::npos);
  CHECK(output.find("1 channel valid") != std::string::npos);
}

TEST_CASE("the SystemOne source's function reaches scripts as ctx.source.function") {
  Deployment d;
  const int port = free_port();
  write_text(d.dir / "scripts/dispatch.lua",
             "local M = {}\nfunction M.transform(msg, ctx)\n  ctx.response = '<Answer>' .. ctx.source['function'] .. "
             "'</Answer>'\nend\nreturn M\n");
  write_text(d.dir / "channels/epr.yaml",
             "name: epr\nsource:\n  type: systemone\n  listen: 127.0.0.1:" + std::to_string(port) +
                 "\n  api_keys: [k1]\nscript: ../scripts/dispatch.lua\n");
  d.validate_ok();
  d.run();
  std::string output;
  CHECK(run_artery({"send", "systemone", "127.0.0.1:" + std::to_string(port), "--function", "GetPatients",
                    "--api-key", "k1"},
                   output) == 0);
  CHECK(output.find("GetPatients") != std::string::npos);
  d.stop();
}
