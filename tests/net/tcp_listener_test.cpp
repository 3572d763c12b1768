// The TCP listener kit on its own, over real sockets on 127.0.0.1, with a
// line protocol: every line is a request answered by the same line, except
// "hold", whose answer waits until the test releases it (a request in flight).
#include "support/engine_process.hpp"
#include "support/loopback.hpp"
#include "support/test_certificates.hpp"
#include "support/tls_client.hpp"

#include <artery/tcp_listener.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using artery::ConnectorError;
using artery::TcpConnection;
using artery::TcpConnectionHandle;
using artery::TcpListener;
using artery::TcpListenerSettings;
using artery::TcpSession;
using artery::testing::eventually;

namespace {

class TestContext final : public artery::ConnectorContext {
 public:
  const std::string& channel() const override { return name_; }
  const std::string& connector() const override { return name_; }
  void log(artery::LogLevel, std::string_view text) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(text);
  }
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  std::filesystem::path base_dir() const override { return "."; }
  std::filesystem::path data_dir() const override { return "."; }
  bool logged(std::string_view needle) {
    std::lock_guard lock(mutex_);
    for (auto& l : lines_)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  std::string name_ = "test";
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Answers held back until release(): what the engine's late disposition is.
struct HeldAnswers {
  std::mutex mutex;
  std::vector<std::pair<TcpConnectionHandle, std::function<void()>>> held;
  std::condition_variable arrived;
  std::size_t count() {
    std::lock_guard lock(mutex);
    return held.size();
  }
  void release() {
    std::vector<std::pair<TcpConnectionHandle, std::function<void()>>> now;
    {
      std::lock_guard lock(mutex);
      now.swap(held);
    }
    for (auto& [handle, answer] : now) handle.post(answer);
  }
};

class LineSession final : public TcpSession {
 public:
  LineSession(TcpConnection& connection, HeldAnswers& held) : connection_(connection), held_(held) {}
  void on_data(std::string_view bytes) override {
    buffer_.append(bytes);
    std::size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      connection_.request_started();
      connection_.metrics().add_request();
      if (line == "subject") line = "subject " + connection_.peer().tls_subject;
      if (line == "hold") {
        std::lock_guard lock(held_.mutex);
        held_.held.emplace_back(connection_.handle(), [this] { answer("held"); });
        held_.arrived.notify_all();
        continue;
      }
      answer(line);
    }
  }

 private:
  void answer(const std::string& line) {
    connection_.write(line + "\n");
    connection_.request_finished();
  }
  TcpConnection& connection_;
  HeldAnswers& held_;
  std::string buffer_;
};

struct Served {
  explicit Served(TcpListenerSettings settings = defaults())
      : listener(std::move(settings), context, [this](TcpConnection& c) { return std::make_unique<LineSession>(c, held); }) {
    std::string error;
    if (!listener.start(error)) throw std::runtime_error(error);
  }
  static TcpListenerSettings defaults() {
    TcpListenerSettings s;
    s.name = "lines";
    s.listen.host = "127.0.0.1";
    s.listen.port = 0;
    return s;
  }
  int port() const { return listener.local_port(); }
  artery::ConnectorMetricsSnapshot metrics() const { return context.metrics().snapshot(); }
  TestContext context;
  HeldAnswers held;
  TcpListener listener;
};

// A blocking line client; reads give up after 10 s (a safety net).
class LineClient {
 public:
  explicit LineClient(int port) : fd_(artery::testing::connect_loopback(port)) {
    if (fd_ < 0) throw std::runtime_error("connect failed");
  }
  ~LineClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // "" when the peer closed or nothing came within 10 s.
  std::string line() {
    for (;;) {
      auto nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string out = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return out;
      }
      if (!fill()) return {};
    }
  }
  bool closed_by_peer() {
    while (fill()) {
    }
    return closed_;
  }

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string pending_;
  bool closed_ = false;
};

}  // namespace

TEST_CASE("kit: sessions get bytes and their answers go back, counted", "[net][listener]") {
  Served s;
  {
    LineClient c(s.port());
    c.send("one\ntwo\n");
    CHECK(c.line() == "one");
    CHECK(c.line() == "two");
    REQUIRE(eventually([&] { return s.metrics().bytes_out == 8; }));
    auto m = s.metrics();
    CHECK(m.bytes_in == 8);
    CHECK(m.requests == 2);
    CHECK(m.connections_open == 1);
    CHECK(m.connections_total == 1);
  }
  REQUIRE(eventually([&] { return s.metrics().connections_open == 0; }));
  CHECK(s.metrics().errors_total() == 0);
}

TEST_CASE("kit: when full, a silent connection makes room and a busy one never does", "[net][listener]") {
  auto settings = Served::defaults();
  settings.max_connections = 2;
  Served s(settings);
  LineClient busy(s.port());
  busy.send("hold\n");
  REQUIRE(eventually([&] { return s.held.count() == 1; }));
  LineClient silent(s.port());
  REQUIRE(eventually([&] { return s.metrics().connections_open == 2; }));

  LineClient newcomer(s.port());
  newcomer.send("hello\n");
  CHECK(newcomer.line() == "hello");
  CHECK(silent.closed_by_peer());
  CHECK(s.metrics().connections_evicted == 1);

  // Now the one busy connection and the newcomer (which has talked, and is
  // not quiet for evict_idle_after yet) fill it: the next one is refused.
  LineClient refused(s.port());
  CHECK(refused.closed_by_peer());
  CHECK(s.metrics().connections_refused == 1);
  CHECK(s.context.logged("max_connections (2) reached"));

  // The request in flight was never touched.
  s.held.release();
  CHECK(busy.line() == "held");
}

TEST_CASE("kit: a sender quiet for evict_idle_after can be evicted too", "[net][listener]") {
  auto settings = Served::defaults();
  settings.max_connections = 1;
  settings.evict_idle_after = 0ms;
  Served s(settings);
  LineClient first(s.port());
  first.send("a\n");
  CHECK(first.line() == "a");
  LineClient second(s.port());
  second.send("b\n");
  CHECK(second.line() == "b");
  CHECK(first.closed_by_peer());
}

TEST_CASE("kit: stop lets a request in flight get its answer, then closes", "[net][listener]") {
  Served s;
  LineClient c(s.port());
  LineClient idle(s.port());
  c.send("hold\n");
  REQUIRE(eventually([&] { return s.held.count() == 1; }));
  std::thread stopper([&] { s.listener.stop(); });
  CHECK(idle.closed_by_peer());  // nothing owed to it: closed at once
  s.held.release();
  CHECK(c.line() == "held");
  CHECK(c.closed_by_peer());
  stopper.join();
  CHECK_THROWS(LineClient(s.port()));
}

TEST_CASE("kit: an answer posted after stop is dropped, not run", "[net][listener]") {
  auto settings = Served::defaults();
  settings.stop_grace = 200ms;
  Served s(settings);
  LineClient c(s.port());
  c.send("hold\n");
  REQUIRE(eventually([&] { return s.held.count() == 1; }));
  TcpConnectionHandle handle;
  {
    std::lock_guard lock(s.held.mutex);
    handle = s.held.held.front().first;
  }
  s.listener.stop();  // waits stop_grace for the held request, then closes it
  bool ran = false;
  CHECK_FALSE(handle.post([&] { ran = true; }));
  CHECK_FALSE(ran);
  CHECK(s.context.logged("still waiting for the channel at stop"));
}

TEST_CASE("kit: idle connections are closed and counted as timeouts", "[net][listener]") {
  auto settings = Served::defaults();
  settings.idle_timeout = 100ms;
  Served s(settings);
  LineClient c(s.port());
  c.send("x\n");
  CHECK(c.line() == "x");
  CHECK(c.closed_by_peer());
  CHECK(s.metrics().errors_of(ConnectorError::timeout) == 1);
  CHECK(s.context.logged("closing idle connection"));
}

TEST_CASE("kit: a port in use fails start with the reason", "[net][listener]") {
  Served first;
  auto settings = Served::defaults();
  settings.listen.port = static_cast<std::uint16_t>(first.port());
  TestContext context;
  TcpListener second(settings, context, [](TcpConnection&) { return std::unique_ptr<TcpSession>(); });
  std::string error;
  CHECK_FALSE(second.start(error));
  CHECK(error == "cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use");
}

TEST_CASE("kit: TLS with client certificates gives the session the peer's subject", "[net][listener][tls]") {
  const auto& certs = artery::testing::TestCertificates::get();
  auto settings = Served::defaults();
  settings.tls.enabled = true;
  settings.tls.cert = certs("server.pem");
  settings.tls.key = certs("server.key");
  settings.tls.ca = certs("ca.pem");
  settings.tls.verify_peer = true;
  Served s(settings);
  artery::testing::TlsClient client(s.port(), {certs("ca.pem"), certs("client.pem"), certs("client.key")});
  REQUIRE(client.handshake_error().empty());
  client.write("subject\n");
  CHECK(client.read_line().find("subject /CN=artery-client") == 0);

  // A plain client on the TLS port is a TLS error, and gets nothing.
  LineClient plain(s.port());
  plain.send("subject\n");
  CHECK(plain.closed_by_peer());
  REQUIRE(eventually([&] { return s.metrics().errors_of(ConnectorError::tls) == 1; }));
  CHECK(s.metrics().requests == 1);
}
