// ChannelRuntime::connector_metrics() with the real plugins (loaded from the
// build's plugins folder, as the engine loads them) and a real MLLP sender:
// the source and the destination report the same counters, readable from
// another thread while messages flow.
#include "channel_harness.hpp"
#include "support/loopback.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace artery;
using namespace artery::testing;

namespace {

std::string numbered_oru(int i) {
  return "MSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|M" + std::to_string(i) + "|P|2.5\rPID|1||" +
         std::to_string(1000 + i) + "\r";
}

// Sends one frame and reads its ACK frame.
std::string round_trip(int fd, const std::string& content) {
  const std::string frame = "\x0b" + content + "\x1c\x0d";
  ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
  std::string ack;
  char chunk[4096];
  while (ack.find("\x1c\x0d") == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    ack.append(chunk, static_cast<std::size_t>(n));
  }
  return ack;
}

const ChannelRuntime::ConnectorMetricsEntry* find(const std::vector<ChannelRuntime::ConnectorMetricsEntry>& all,
                                                  const std::string& name) {
  for (const auto& e : all)
    if (e.connector == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("connector metrics: an MLLP source and a file destination count what went through", "[runtime][metrics]") {
  ChannelHarness harness;
  REQUIRE(harness.plugins().load_directory(ARTERY_PLUGIN_DIR) >= 2);
  const int port = free_port();
  auto config = harness.load("counted", "name: counted\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                            std::to_string(port) +
                                            "\ndestinations:\n  - name: out\n    type: file\n    directory: " +
                                            (harness.dir() / "out").string() +
                                            "\n    filename: all.hl7\n    mode: append\n");
  auto runtime = harness.start(std::move(config));
  REQUIRE(runtime->connector_metrics().size() == 2);
  CHECK(runtime->connector_metrics().front().connector == "source");

  // A reader on another thread while messages flow (what the registry and
  // /metrics will do); under TSan this is the race check.
  std::atomic<bool> done{false};
  std::uint64_t seen_requests = 0;
  std::thread reader([&] {
    while (!done) {
      for (const auto& e : runtime->connector_metrics())
        if (e.connector == "source") seen_requests = std::max(seen_requests, e.metrics.requests);
    }
  });

  const int messages = 20;
  std::uint64_t sent_bytes = 0, content_bytes = 0;
  int acked = 0;
  {
    int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    for (int i = 0; i < messages; ++i) {
      sent_bytes += numbered_oru(i).size() + 3;
      content_bytes += numbered_oru(i).size();
      acked += round_trip(fd, numbered_oru(i)).find("MSA|AA|M" + std::to_string(i)) != std::string::npos;
    }
    ::close(fd);
  }
  CHECK(acked == messages);
  REQUIRE(eventually([&] {
    auto all = runtime->connector_metrics();
    auto* out = find(all, "out");
    auto* source = find(all, "source");
    return out && source && out->metrics.requests == messages && source->metrics.connections_open == 0;
  }));
  done = true;
  reader.join();

  auto all = runtime->connector_metrics();
  const auto& source = find(all, "source")->metrics;
  CHECK(source.requests == messages);
  CHECK(source.bytes_in == sent_bytes);
  CHECK(source.bytes_out > 0);
  CHECK(source.connections_total == 1);
  CHECK(source.errors_total() == 0);
  const auto& out = find(all, "out")->metrics;
  CHECK(out.bytes_out == content_bytes);
  CHECK(out.errors_total() == 0);
  CHECK(seen_requests <= static_cast<std::uint64_t>(messages));

  runtime->stop();
  CHECK(runtime->connector_metrics().empty());
}
