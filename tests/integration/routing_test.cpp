// Channel-to-channel routing through the real binary: channel YAML files,
// `artery validate`, `artery run`, an MLLP client on a socket, and the files
// the final channels write. A `channel` destination and router.route() hand
// messages to other channels in process; a SIGKILL between the hops loses
// nothing acknowledged; the routed message keeps the link to its origin.
#include "store/message_store.hpp"
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

std::string hl7(const std::string& id) {
  return "MSH|^~\\&|MON|ICU|ARTERY|LAB|20261121083000||ORU^R01|" + id + "|P|2.5.1\rPID|1||555\rOBX|1|NM|K||4.1\r";
}

// One MLLP exchange; the ACK text, "" if the connection failed.
std::string exchange(int fd, const std::string& message, std::string& buffer) {
  const std::string frame = "\x0b" + message + "\x1c\x0d";
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) return {};
  std::size_t end;
  while ((end = buffer.find("\x1c\x0d")) == std::string::npos) {
    char chunk[1024];
    ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return {};
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
  std::string ack = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return ack;
}

std::set<std::string> lines_of(const fs::path& file) {
  std::set<std::string> out;
  std::istringstream lines(fs::exists(file) ? read_text(file) : std::string());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.insert(line);
  return out;
}

// A channel fed only by other channels, writing each message's control id on a line of its own.
std::string final_channel(const std::string& name) {
  return "name: " + name + "\nsource:\n  type: channel\nscript: ids.lua\ndestinations:\n  - name: ids\n"
         "    type: file\n    directory: ../out\n    filename: " + name + ".txt\n    mode: append\n"
         "    atomic: false\n    separator: \"\\n\"\n";
}

// intake: MLLP in; a `channel` destination to `archive`, and router.route() to `lab`.
void write_routing_channels(const TempDir& dir, int port) {
  // Each line also says where the message came from, as the receiving script sees it.
  write_text(dir / "channels/ids.lua", "local M = {}\nfunction M.transform(msg, ctx)\n"
                                       "  assert(ctx.source.origin_channel == 'intake')\n"
                                       "  assert(tonumber(ctx.source.origin_message_id) > 0)\n"
                                       "  return msg:get(\"MSH-10\")\nend\nreturn M\n");
  write_text(dir / "channels/dispatch.lua", "local M = {}\nfunction M.transform(msg, ctx)\n"
                                            "  router.route(\"lab\", msg)\nend\nreturn M\n");
  write_text(dir / "channels/intake.yaml", "name: intake\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                               std::to_string(port) +
                                               "\nscript: dispatch.lua\ndestinations:\n  - name: to-archive\n"
                                               "    type: channel\n    channel: archive\n");
  write_text(dir / "channels/archive.yaml", final_channel("archive"));
  write_text(dir / "channels/lab.yaml", final_channel("lab"));
}

std::vector<std::string> run_args(const TempDir& dir) {
  return {"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()};
}

}  // namespace

TEST_CASE("a channel routes to two others in process, keeping the link", "[integration][routing]") {
  TempDir dir("artery-routing");
  const int port = free_port();
  write_routing_channels(dir, port);
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);
  CHECK(output.find("3 channels valid") != std::string::npos);

  {
    EngineProcess engine(run_args(dir), dir / "engine.log");
    REQUIRE(engine.wait_for_log("running 3 of 3 channels"));
    int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    std::string buffer;
    for (int i = 0; i < 20; ++i)
      CHECK(exchange(fd, hl7("R" + std::to_string(i)), buffer).find("MSA|AA|R") != std::string::npos);
    ::close(fd);
    std::set<std::string> expected;
    for (int i = 0; i < 20; ++i) expected.insert("R" + std::to_string(i));
    CHECK(eventually([&] { return lines_of(dir / "out/archive.txt") == expected; }));
    CHECK(eventually([&] { return lines_of(dir / "out/lab.txt") == expected; }));
    INFO(engine.log());
    CHECK(engine.stop(SIGTERM) == 0);
  }

  // Each routed message records where it came from; the source's deliveries name it.
  std::string error;
  auto store = artery::MessageStore::open(dir / "data/artery.db", artery::Durability::normal, error);
  REQUIRE(store);
  artery::MessageQuery query;
  query.channel = "intake";
  auto sources = store->search(query);
  REQUIRE(sources.size() == 20);
  for (const auto& source : sources) {
    artery::MessageQuery routed;
    routed.origin_message_id = source.id;
    auto children = store->search(routed);
    REQUIRE(children.size() == 2);
    std::set<std::string> channels;
    for (const auto& child : children) {
      CHECK(child.origin_channel == "intake");
      CHECK(child.raw == source.raw);
      channels.insert(child.channel);
    }
    CHECK(channels == std::set<std::string>{"archive", "lab"});
    auto full = store->get(source.id);
    REQUIRE(full);
    REQUIRE(full->deliveries.size() == 2);
    for (const auto& delivery : full->deliveries) {
      CHECK(delivery.state == artery::MessageState::sent);
      const char* to = delivery.destination == "router" ? "channel lab message " : "channel archive message ";
      CHECK(delivery.response.find(to) == 0);
      CHECK(delivery.sent_content.empty());  // the routed copy is not kept once the target has it
    }
  }
}

TEST_CASE("validate reports a channel destination to a missing channel, and routing cycles",
          "[integration][routing]") {
  TempDir dir("artery-routing-validate");
  write_text(dir / "channels/a.yaml", "name: a\nsource:\n  type: channel\ndestinations:\n  - name: next\n"
                                      "    type: channel\n    channel: archve\n");
  write_text(dir / "channels/archive.yaml", "name: archive\nsource:\n  type: channel\n");
  std::string output;
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  CHECK(output.find("a.yaml:7:5: destination 'next' routes to unknown channel 'archve' (did you mean 'archive'?)") !=
        std::string::npos);
  INFO(output);

  write_text(dir / "channels/a.yaml", "name: a\nsource:\n  type: channel\ndestinations:\n  - name: next\n"
                                      "    type: channel\n    channel: archive\n");
  write_text(dir / "channels/archive.yaml", "name: archive\nsource:\n  type: channel\ndestinations:\n"
                                            "  - name: back\n    type: channel\n    channel: a\n");
  CHECK(run_artery({"validate", (dir / "channels").string()}, output) == 1);
  CHECK(output.find("channels route to each other in a cycle: a -> archive -> a") != std::string::npos);

  // A destination named like the router's queue would share its rows.
  write_text(dir / "channels/archive.yaml", "name: archive\nsource:\n  type: channel\ndestinations:\n"
                                            "  - name: router\n    type: channel\n    channel: a\n");
  CHECK(run_artery({"validate", (dir / "channels/archive.yaml").string()}, output) == 1);
  CHECK(output.find("destination name 'router' is reserved") != std::string::npos);
}

TEST_CASE("a routed message acknowledged before a SIGKILL reaches every final channel", "[integration][routing]") {
  TempDir dir("artery-routing-crash");
  const int port = free_port();
  write_routing_channels(dir, port);
  std::set<std::string> acknowledged;
  std::mutex mutex;
  {
    EngineProcess engine(run_args(dir), dir / "engine-1.log");
    REQUIRE(engine.wait_for_log("running 3 of 3 channels"));
    std::vector<std::thread> senders;
    for (int s = 0; s < 4; ++s) {
      senders.emplace_back([&, s] {
        int fd = connect_loopback(port);
        if (fd < 0) return;
        timeval timeout{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        std::string buffer;
        for (int n = 0;; ++n) {
          const std::string id = "S" + std::to_string(s) + "-" + std::to_string(n);
          const std::string ack = exchange(fd, hl7(id), buffer);
          if (ack.empty()) break;
          if (ack.find("MSA|AA|" + id) != std::string::npos) {
            std::lock_guard lock(mutex);
            acknowledged.insert(id);
          }
        }
        ::close(fd);
      });
    }
    REQUIRE(eventually([&] {
      std::lock_guard lock(mutex);
      return acknowledged.size() >= 3000;
    }, std::chrono::seconds(60)));
    engine.stop(SIGKILL);
    for (auto& sender : senders) sender.join();
  }
  const auto archived_before = lines_of(dir / "out/archive.txt").size();
  const auto lab_before = lines_of(dir / "out/lab.txt").size();
  INFO(acknowledged.size() << " acknowledged; before the restart " << archived_before << " archived, " << lab_before
                           << " in lab");

  EngineProcess engine(run_args(dir), dir / "engine-2.log");
  REQUIRE(engine.wait_for_log("running 3 of 3 channels"));
  std::size_t missing = 0;
  for (const char* channel : {"archive", "lab"}) {
    eventually([&] {
      auto delivered = lines_of(dir / "out" / (std::string(channel) + ".txt"));
      missing = 0;
      for (const auto& id : acknowledged) missing += delivered.count(id) == 0;
      return missing == 0;
    }, std::chrono::seconds(60));
    INFO(channel << "; the log of the restart:\n" << engine.log());
    CHECK(missing == 0);
  }
  CHECK(engine.stop(SIGTERM) == 0);
}
