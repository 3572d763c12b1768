// A redeploy under traffic, with the real plugins (MLLP, fhir, file) and real
// sockets: senders that connect in a tight loop while the channel is
// redeployed 20 times are never refused (the new version's listener takes
// over the old one's socket), and every message they got a positive answer
// for is in the store and delivered. A redeploy whose new version cannot
// start leaves the old one serving.
#include "channel_harness.hpp"

#include "control/channel_registry.hpp"
#include "net/listen_socket_pool.hpp"
#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace artery;
using namespace artery::testing;

namespace {

using Clock = std::chrono::steady_clock;

// A connected socket, or -1 with the connect's errno (ECONNREFUSED is what
// a closed port looks like to a sender).
struct Connected {
  int fd = -1;
  int error = 0;
};
Connected connect_to(int port) {
  Connected out;
  out.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(out.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    out.error = errno;
    ::close(out.fd);
    out.fd = -1;
    return out;
  }
  const int on = 1;
  ::setsockopt(out.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval timeout{10, 0};
  ::setsockopt(out.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return out;
}

// Reads until `end` has arrived (or the peer closed / timed out): what came.
std::string read_until(int fd, const std::string& end, std::string& buffer) {
  for (;;) {
    if (auto at = buffer.find(end); at != std::string::npos) {
      std::string out = buffer.substr(0, at + end.size());
      buffer.erase(0, at + end.size());
      return out;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return {};
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

// What the senders saw, from every thread.
struct Traffic {
  std::atomic<bool> done{false};
  std::atomic<int> refused{0}, other_connect_errors{0}, unanswered{0}, negative{0};
  std::mutex mutex;
  std::vector<std::string> accepted;       // ids answered positively
  std::vector<Clock::time_point> answers;  // when each positive answer came

  void answered(std::string id) {
    std::lock_guard lock(mutex);
    accepted.push_back(std::move(id));
    answers.push_back(Clock::now());
  }
  // The longest time without any positive answer while traffic flowed.
  std::chrono::milliseconds longest_pause() {
    std::lock_guard lock(mutex);
    std::sort(answers.begin(), answers.end());
    Clock::duration longest{};
    for (std::size_t i = 1; i < answers.size(); ++i) longest = std::max(longest, answers[i] - answers[i - 1]);
    return std::chrono::duration_cast<std::chrono::milliseconds>(longest);
  }
};

// One MLLP sender: connect, send up to three messages on the connection,
// close, again. A message without an AA is not counted as sent.
void mllp_sender(int port, int thread, Traffic& traffic) {
  int n = 0;
  while (!traffic.done) {
    auto c = connect_to(port);
    if (c.fd < 0) {
      (c.error == ECONNREFUSED ? traffic.refused : traffic.other_connect_errors)++;
      continue;
    }
    std::string buffer;
    for (int k = 0; k < 3 && !traffic.done; ++k) {
      const std::string id = "S" + std::to_string(thread) + "-" + std::to_string(++n);
      const std::string frame = "\x0bMSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|" + id + "|P|2.5\rPID|1||" +
                                std::to_string(n) + "\r\x1c\x0d";
      if (::send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
        traffic.unanswered++;
        break;
      }
      const std::string ack = read_until(c.fd, "\x1c\x0d", buffer);
      if (ack.empty()) {
        traffic.unanswered++;  // the old version closed the connection: a real sender resends
        break;
      }
      if (ack.find("MSA|AA|" + id) != std::string::npos) traffic.answered(id);
      else traffic.negative++;
    }
    ::close(c.fd);
  }
}

// One FHIR client: a new connection per create (Connection: close).
void fhir_sender(int port, int thread, Traffic& traffic) {
  int n = 0;
  while (!traffic.done) {
    auto c = connect_to(port);
    if (c.fd < 0) {
      (c.error == ECONNREFUSED ? traffic.refused : traffic.other_connect_errors)++;
      continue;
    }
    const std::string id = "F" + std::to_string(thread) + "-" + std::to_string(++n);
    const std::string body = R"({"resourceType":"Patient","identifier":[{"system":"urn:test","value":")" + id +
                             R"("}]})";
    const std::string request = "POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: application/fhir+json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string reply;
    if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char chunk[4096];
      for (ssize_t got; (got = ::recv(c.fd, chunk, sizeof chunk, 0)) > 0;) reply.append(chunk, static_cast<std::size_t>(got));
    }
    ::close(c.fd);
    if (reply.rfind("HTTP/1.1 201", 0) == 0) traffic.answered(id);
    else if (reply.empty()) traffic.unanswered++;
    else traffic.negative++;
  }
}

RuntimeEnvironment registry_environment(ChannelHarness& harness) {
  RuntimeEnvironment env = harness.environment();
  env.channels = nullptr;  // the registry puts itself here
  return env;
}

std::set<std::string> stored_control_ids(MessageStore& store, const std::string& channel) {
  MessageQuery query;
  query.channel = channel;
  query.limit = 1'000'000;
  query.with_content = false;
  std::set<std::string> ids;
  for (const auto& record : store.search(query)) ids.insert(record.control_id);
  return ids;
}

std::string mllp_channel(int port, const std::filesystem::path& out, int version) {
  return "name: swap\ndescription: version " + std::to_string(version) + "\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
         std::to_string(port) + "\ndestinations:\n  - name: out\n    type: file\n    directory: " + out.string() +
         "\n    filename: all.hl7\n    mode: append\n";
}

}  // namespace

TEST_CASE("redeploy: an MLLP sender connecting in a tight loop through 20 redeploys is never refused",
          "[runtime][registry][mllp][reload]") {
  ChannelHarness harness;
  REQUIRE(harness.plugins().load_directory(ARTERY_PLUGIN_DIR) >= 2);
  const int port = free_port();
  const auto out = harness.dir() / "out";
  ChannelRegistry registry(registry_environment(harness));
  REQUIRE(registry.deploy(harness.load("swap", mllp_channel(port, out, 0))).ok);

  Traffic traffic;
  std::vector<std::thread> senders;
  for (int t = 0; t < 2; ++t) senders.emplace_back([&, t] { mllp_sender(port, t, traffic); });
  std::vector<std::chrono::milliseconds> swaps;
  for (int version = 1; version <= 20; ++version) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    const auto began = Clock::now();
    auto result = registry.redeploy(harness.load("swap", mllp_channel(port, out, version)));
    swaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began));
    INFO(result.error);
    REQUIRE(result.ok);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  traffic.done = true;
  for (auto& s : senders) s.join();

  WARN("accepted " << traffic.accepted.size() << ", closed unanswered " << traffic.unanswered.load()
                   << ", longest pause between ACKs " << traffic.longest_pause().count() << " ms, slowest swap "
                   << std::max_element(swaps.begin(), swaps.end())->count() << " ms");
  CHECK(traffic.refused == 0);
  CHECK(traffic.other_connect_errors == 0);
  CHECK(traffic.negative == 0);
  REQUIRE(traffic.accepted.size() > 100);
  auto snapshot = registry.snapshot("swap");
  REQUIRE(snapshot);
  CHECK(snapshot->state == ChannelState::started);
  CHECK(snapshot->description == "version 20");

  // Every AA'd message is stored, and delivered: nothing stays queued.
  REQUIRE(eventually([&] { return harness.store().pending_count("swap", "out") == 0; }));
  const auto stored = stored_control_ids(harness.store(), "swap");
  const std::string delivered = read_text(out / "all.hl7");
  int missing = 0, undelivered = 0;
  for (const auto& id : traffic.accepted) {
    if (!stored.count(id)) ++missing;
    if (delivered.find("|" + id + "|") == std::string::npos) ++undelivered;
  }
  CHECK(missing == 0);
  CHECK(undelivered == 0);
  // The counters carried across the versions: every stored message counted once.
  snapshot = registry.snapshot("swap");
  CHECK(snapshot->counters.received == static_cast<std::int64_t>(stored.size()));
  CHECK(snapshot->counters.queued == 0);
  CHECK(snapshot->counters.sent == static_cast<std::int64_t>(stored.size()));

  // Undeployed, the port closes: nobody holds the socket any more.
  REQUIRE(registry.undeploy("swap").ok);
  CHECK(net::ListenSocketPool::process().holders("127.0.0.1", static_cast<std::uint16_t>(port)) == 0);
  CHECK(connect_to(port).error == ECONNREFUSED);
}

TEST_CASE("redeploy: a FHIR listener's clients are never refused through 20 redeploys",
          "[runtime][registry][fhir][http][reload]") {
  ChannelHarness harness;
  REQUIRE(harness.plugins().load_directory(ARTERY_PLUGIN_DIR) >= 2);
  const int port = free_port();
  auto yaml = [&](int version) {
    return "name: ehr\ndescription: version " + std::to_string(version) +
           "\nsource:\n  type: fhir\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  base_path: /fhir\n";
  };
  ChannelRegistry registry(registry_environment(harness));
  REQUIRE(registry.deploy(harness.load("ehr", yaml(0))).ok);

  Traffic traffic;
  std::vector<std::thread> senders;
  for (int t = 0; t < 2; ++t) senders.emplace_back([&, t] { fhir_sender(port, t, traffic); });
  for (int version = 1; version <= 20; ++version) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    auto result = registry.redeploy(harness.load("ehr", yaml(version)));
    INFO(result.error);
    REQUIRE(result.ok);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  traffic.done = true;
  for (auto& s : senders) s.join();

  WARN("created " << traffic.accepted.size() << ", closed unanswered " << traffic.unanswered.load()
                  << ", longest pause between answers " << traffic.longest_pause().count() << " ms");
  CHECK(traffic.refused == 0);
  CHECK(traffic.other_connect_errors == 0);
  CHECK(traffic.negative == 0);
  REQUIRE(traffic.accepted.size() > 50);
  MessageQuery query;
  query.channel = "ehr";
  query.limit = 1'000'000;
  std::string all;
  for (const auto& record : harness.store().search(query)) all += record.raw + "\n";
  int missing = 0;
  for (const auto& id : traffic.accepted)
    if (all.find("\"" + id + "\"") == std::string::npos) ++missing;
  CHECK(missing == 0);
}

TEST_CASE("redeploy: a new version that cannot start leaves the old one serving on its port",
          "[runtime][registry][mllp][reload]") {
  ChannelHarness harness;
  REQUIRE(harness.plugins().load_directory(ARTERY_PLUGIN_DIR) >= 2);
  const int port = free_port(), taken_port = free_port();
  const auto out = harness.dir() / "out";
  ChannelRegistry registry(registry_environment(harness));
  REQUIRE(registry.deploy(harness.load("swap", mllp_channel(port, out, 1))).ok);

  // Another program holds the port the new version wants.
  const int squatter = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(taken_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(squatter, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(squatter, 8) == 0);
  auto result = registry.redeploy(harness.load("swap", mllp_channel(taken_port, out, 2)));
  ::close(squatter);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::Contains("the running version stays") && Catch::Contains("in use"));

  auto snapshot = registry.snapshot("swap");
  CHECK(snapshot->state == ChannelState::started);
  CHECK(snapshot->description == "version 1");
  auto c = connect_to(port);
  REQUIRE(c.fd >= 0);
  const std::string frame = "\x0bMSH|^~\\&|LAB|H|EHR|H|20261201120000||ORU^R01|KEPT-1|P|2.5\rPID|1||1\r\x1c\x0d";
  ::send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL);
  std::string buffer;
  CHECK_THAT(read_until(c.fd, "\x1c\x0d", buffer), Catch::Contains("MSA|AA|KEPT-1"));
  ::close(c.fd);

  // Another channel asking for the first one's port is refused as bind() would refuse it.
  auto other = harness.load("other", "name: other\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
  auto deployed = registry.deploy(std::move(other));
  CHECK_FALSE(deployed.ok);
  CHECK_THAT(deployed.error, Catch::Contains("Address already in use"));
}
