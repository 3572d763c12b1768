// The core HTTP server over real sockets on 127.0.0.1: plain POSIX sockets
// (and OpenSSL's client API for TLS) as clients, no mocks.
#include <catch2/catch.hpp>

#include <artery/http.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "support/loopback.hpp"

using namespace artery;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads HTTP/1.1 responses from a byte source, keeping what is left over
// for the next response (pipelining).
class ResponseReader {
 public:
  // read(buf, n) -> bytes, 0 on EOF, -1 on error or timeout.
  explicit ResponseReader(std::function<long(char*, std::size_t)> read) : read_(std::move(read)) {}

  // nullopt when the connection ended before a whole response arrived.
  std::optional<Response> next(bool head_request = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    Response r;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    auto line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    r.status = std::atoi(status_line.substr(9, 3).c_str());
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string field = head.substr(pos, next - pos);
      auto colon = field.find(':');
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(field.substr(0, colon))] = value;
      pos = next + 2;
    }
    if (head_request || r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (lower(r.header("transfer-encoding")) == "chunked") {
      for (;;) {
        std::size_t crlf;
        while ((crlf = buffer_.find("\r\n")) == std::string::npos)
          if (!fill()) return std::nullopt;
        std::size_t size = std::stoul(buffer_.substr(0, crlf), nullptr, 16);
        while (buffer_.size() < crlf + 2 + size + 2)
          if (!fill()) return std::nullopt;
        r.body += buffer_.substr(crlf + 2, size);
        buffer_.erase(0, crlf + 2 + size + 2);
        if (size == 0) return r;
      }
    }
    if (r.headers.count("content-length")) {
      std::size_t length = std::stoul(r.header("content-length"));
      while (buffer_.size() < length)
        if (!fill()) return std::nullopt;
      r.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return r;
    }
    while (fill()) {
    }
    r.body = std::exchange(buffer_, {});
    return r;
  }

  // Waits for bytes to contain `text` (a streamed body); false when the connection ended first.
  bool wait_for(const std::string& text) {
    while (buffer_.find(text) == std::string::npos)
      if (!fill()) return false;
    return true;
  }
  std::string& buffer() { return buffer_; }
  // True when the peer closes (EOF or reset) rather than sending more.
  bool closed() {
    char c;
    return read_(&c, 1) <= 0;
  }
  bool fill() {
    char chunk[65536];
    long n = read_(chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

 private:
  std::function<long(char*, std::size_t)> read_;
  std::string buffer_;
};

// A blocking TCP client with a receive timeout.
class Client {
 public:
  explicit Client(int port, std::chrono::milliseconds timeout = 5000ms)
      : fd_(testing::connect_loopback(port)), reader_([this](char* b, std::size_t n) { return recv_some(b, n); }) {
    if (fd_ < 0) throw std::runtime_error("cannot connect");
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool send(std::string_view data) {
    while (!data.empty()) {
      long n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  std::optional<Response> get(const std::string& path, const std::string& extra = "") {
    send("GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n");
    return reader_.next();
  }
  ResponseReader& reader() { return reader_; }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

 private:
  long recv_some(char* b, std::size_t n) { return ::recv(fd_, b, n, 0); }
  int fd_;
  ResponseReader reader_;
};

// A server with its router, started on a free loopback port.
struct RunningServer {
  std::unique_ptr<HttpServer> server;
  explicit RunningServer(HttpRouter router, HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server = std::make_unique<HttpServer>(std::move(options), std::move(router));
    std::string error;
    if (!server->start(error)) throw std::runtime_error(error);
  }
  int port() const { return server->port(); }
};

HttpRouter echo_router() {
  HttpRouter router;
  router.add("GET", "/api/channels/{name}", [](const HttpRequest& r) {
    return HttpResponse::json(200, "{\"name\": " + json_quote(r.param("name")) +
                                       ", \"q\": " + json_quote(r.query_param("q").value_or("")) +
                                       ", \"path\": " + json_quote(r.path) + "}");
  });
  router.add("POST", "/echo", [](const HttpRequest& r) { return HttpResponse::text(200, r.body); });
  router.add("GET", "/peer", [](const HttpRequest& r) {
    return HttpResponse::text(200, r.peer_address + " " + std::to_string(r.peer_port) + " " +
                                       (r.tls ? "tls" : "plain") + " " + r.tls_peer_subject);
  });
  router.add("GET", "/header", [](const HttpRequest& r) { return HttpResponse::text(200, r.headers.get("x-test")); });
  return router;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds bound = 5000ms) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("http server: routes with parameters, query and the peer address", "[http][server]") {
  RunningServer s(echo_router());
  Client c(s.port());
  auto r = c.get("/api/channels/lab%2Dresults?q=a+b%21&x=1");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-type") == "application/json");
  CHECK(r->header("date").find(" GMT") != std::string::npos);
  CHECK(r->body == R"({"name": "lab-results", "q": "a b!", "path": "/api/channels/lab-results"})");

  auto peer = c.get("/peer");
  REQUIRE(peer);
  CHECK(peer->body.rfind("127.0.0.1 ", 0) == 0);
  CHECK(peer->body.find(" plain") != std::string::npos);
  CHECK(std::atoi(peer->body.substr(10).c_str()) > 0);

  auto header = c.get("/header", "X-TEST: Value\r\n");
  REQUIRE(header);
  CHECK(header->body == "Value");

  auto counted = s.server->counters();
  CHECK(counted.connections_open == 1);
  CHECK(counted.connections_total == 1);
  CHECK(counted.requests == 3);
  CHECK(counted.bytes_in > 100);
  CHECK(counted.bytes_out > counted.bytes_in);
  CHECK(counted.bad_requests == 0);
}

TEST_CASE("http server: 404 and 405 with Allow, as JSON errors", "[http][server]") {
  RunningServer s(echo_router());
  Client c(s.port());
  auto missing = c.get("/nothing/here");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->header("content-type") == "application/json");
  CHECK(missing->body.find("\"error\"") != std::string::npos);

  c.send("DELETE /echo HTTP/1.1\r\nHost: t\r\n\r\n");
  auto wrong = c.reader().next();
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->header("allow") == "POST");
  CHECK(wrong->body.find("not allowed") != std::string::npos);
}

TEST_CASE("http server: a custom error body replaces the JSON default", "[http][server]") {
  HttpServerOptions options;
  options.error_response = [](int status, std::string_view message) {
    return HttpResponse::text(status, "custom " + std::to_string(status) + ": " + std::string(message));
  };
  RunningServer s(echo_router(), options);
  Client c(s.port());
  auto r = c.get("/nope");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body.rfind("custom 404: ", 0) == 0);
}

TEST_CASE("http server: keep-alive serves two requests on one connection", "[http][server]") {
  RunningServer s(echo_router());
  Client c(s.port());
  auto first = c.get("/api/channels/a");
  auto second = c.get("/api/channels/b");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->body.find("\"a\"") != std::string::npos);
  CHECK(second->body.find("\"b\"") != std::string::npos);
  CHECK(first->header("connection") != "close");
  CHECK(s.server->connection_count() == 1);

  // HTTP/1.0 without keep-alive, or Connection: close, ends the connection after the answer.
  c.send("GET /api/channels/c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto last = c.reader().next();
  REQUIRE(last);
  CHECK(last->header("connection") == "close");
  CHECK(c.reader().closed());
}

TEST_CASE("http server: pipelined requests are answered in order", "[http][server]") {
  HttpRouter router;
  // The first request takes longest: a server that answered as handlers
  // finish would answer out of order.
  router.add("GET", "/sleep/{ms}", [](const HttpRequest& r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(r.param("ms"))));
    return HttpResponse::text(200, r.param("ms"));
  });
  RunningServer s(std::move(router));
  Client c(s.port());
  std::string batch;
  for (const char* ms : {"300", "100", "0", "50"})
    batch += std::string("GET /sleep/") + ms + " HTTP/1.1\r\nHost: t\r\n\r\n";
  batch += "POST /sleep/0 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";  // 405 also keeps its place
  c.send(batch);
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto r = c.reader().next();
    REQUIRE(r);
    CHECK(r->status == 200);
    bodies.push_back(r->body);
  }
  CHECK(bodies == std::vector<std::string>{"300", "100", "0", "50"});
  auto last = c.reader().next();
  REQUIRE(last);
  CHECK(last->status == 405);
}

TEST_CASE("http server: request bodies, HEAD, and 100-continue", "[http][server]") {
  RunningServer s(echo_router());
  Client c(s.port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  auto r = c.reader().next();
  REQUIRE(r);
  CHECK(r->body == "hello");

  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto chunked = c.reader().next();
  REQUIRE(chunked);
  CHECK(chunked->body == "abcde");

  c.send("HEAD /api/channels/x HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.reader().next(true);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(std::stoi(head->header("content-length")) > 0);

  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto go_on = c.reader().next();
  REQUIRE(go_on);
  CHECK(go_on->status == 100);
  c.send("body");
  auto after = c.reader().next();
  REQUIRE(after);
  CHECK(after->body == "body");
  // The HEAD answer had no body: the next response parsed cleanly after it.
  CHECK(s.server->connection_count() == 1);
}

TEST_CASE("http server: 413 for a body over the limit, without reading it", "[http][server]") {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  RunningServer s(echo_router(), options);
  {
    Client c(s.port());
    // Announces 50 MB and sends 64 KiB of it: the answer comes without the rest.
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n");
    c.send(std::string(64 * 1024, 'x'));
    auto r = c.reader().next();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->header("connection") == "close");
    CHECK(r->body.find("larger than 1024 bytes") != std::string::npos);
  }
  {
    Client c(s.port());
    std::string chunk(600, 'y');
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n");  // 0x258 = 600, twice: over 1024
    auto r = c.reader().next();
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  {
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'z'));
    auto r = c.reader().next();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() == 1024);
  }
}

TEST_CASE("http server: 431 for a request head over the limit", "[http][server]") {
  HttpServerOptions options;
  options.max_header_bytes = 4096;
  RunningServer s(echo_router(), options);
  Client c(s.port());
  auto r = c.get("/api/channels/a", "X-Big: " + std::string(8000, 'h') + "\r\n");
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(r->header("content-type") == "application/json");
  Client ok(s.port());
  CHECK(ok.get("/api/channels/a", "X-Small: " + std::string(1000, 'h') + "\r\n")->status == 200);
  CHECK(s.server->counters().bad_requests == 1);
}

TEST_CASE("http server: malformed requests get 400", "[http][server]") {
  RunningServer s(echo_router());
  Client c(s.port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.reader().next();
  REQUIRE(r);
  CHECK(r->status == 400);
  Client bad_escape(s.port());
  auto escape = bad_escape.get("/api/channels/%zz");
  REQUIRE(escape);
  CHECK(escape->status == 400);
}

TEST_CASE("http server: a client too slow to send its request is closed", "[http][server]") {
  HttpServerOptions options;
  options.read_timeout = 300ms;
  RunningServer s(echo_router(), options);
  Client c(s.port());
  auto started = std::chrono::steady_clock::now();
  c.send("GET /api/channels/a HTTP/1.1\r\nHost: t\r\n");  // the head never ends
  CHECK(c.reader().closed());
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 250ms);
  CHECK(waited < 3s);
  CHECK(eventually([&] { return s.server->connection_count() == 0; }));

  // Dribbling a body slower than the deadline does not extend it either.
  Client dribble(s.port());
  dribble.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n");
  started = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 10 && !closed; ++i) {
    std::this_thread::sleep_for(100ms);
    closed = !dribble.send("x");
  }
  CHECK(dribble.reader().closed());
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK(eventually([&] { return s.server->counters().timeouts == 2; }));
}

TEST_CASE("http server: an idle keep-alive connection is closed after the idle timeout", "[http][server]") {
  HttpServerOptions options;
  options.idle_timeout = 300ms;
  RunningServer s(echo_router(), options);
  Client c(s.port());
  REQUIRE(c.get("/api/channels/a"));
  auto started = std::chrono::steady_clock::now();
  CHECK(c.reader().closed());
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 250ms);
  CHECK(waited < 3s);
}

TEST_CASE("http server: max connections refuses with 503 when every connection is busy", "[http][server]") {
  HttpServerOptions options;
  options.max_connections = 2;
  RunningServer s(echo_router(), options);
  Client a(s.port()), b(s.port());
  a.send("GET /api/channels/a HTTP/1.1\r\n");  // both mid-request: not idle
  b.send("GET /api/channels/b HTTP/1.1\r\n");
  REQUIRE(eventually([&] { return s.server->connection_count() == 2; }));
  std::this_thread::sleep_for(50ms);
  Client c(s.port());
  auto refused = c.reader().next();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(s.server->counters().connections_refused == 1);
  CHECK(s.server->counters().connections_total == 3);
  // The busy ones are untouched.
  a.send("Host: t\r\n\r\n");
  auto answer = a.reader().next();
  REQUIRE(answer);
  CHECK(answer->status == 200);
}

TEST_CASE("http server: at the limit the longest-idle connection makes room", "[http][server]") {
  HttpServerOptions options;
  options.max_connections = 2;
  RunningServer s(echo_router(), options);
  Client oldest(s.port());
  REQUIRE(eventually([&] { return s.server->connection_count() == 1; }));
  std::this_thread::sleep_for(20ms);
  Client newer(s.port());
  REQUIRE(newer.get("/api/channels/n"));  // the newer one is idle again, but more recently
  REQUIRE(eventually([&] { return s.server->connection_count() == 2; }));
  Client third(s.port());
  auto r = third.get("/api/channels/t");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(oldest.reader().closed());
  auto still = newer.get("/api/channels/n");
  REQUIRE(still);
  CHECK(still->status == 200);
}

namespace {

// Keeps the writers of open event streams, as the admin API's /api/events will.
struct EventHub {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::shared_ptr<HttpStreamWriter>> writers;
  std::atomic<int> closed{0};

  void add(std::shared_ptr<HttpStreamWriter> w) {
    w->on_close([this] { ++closed; });
    w->send_comment("hello");
    std::lock_guard lock(mutex);
    writers.push_back(std::move(w));
    changed.notify_all();
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return writers.size() >= n; });
  }
  std::shared_ptr<HttpStreamWriter> at(std::size_t i) {
    std::lock_guard lock(mutex);
    return writers.at(i);
  }
};

}  // namespace

TEST_CASE("http server: server-sent events arrive as pushed, and stop ends the stream", "[http][server][sse]") {
  auto hub = std::make_shared<EventHub>();
  HttpRouter router;
  router.add("GET", "/api/events", [hub](const HttpRequest&) {
    return HttpResponse::event_stream([hub](std::shared_ptr<HttpStreamWriter> w) { hub->add(std::move(w)); });
  });
  RunningServer s(std::move(router));
  Client c(s.port());
  c.send("GET /api/events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n");
  REQUIRE(c.reader().wait_for(": hello\n\n"));
  CHECK(c.reader().buffer().find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(c.reader().buffer().find("Transfer-Encoding: chunked") != std::string::npos);
  REQUIRE(hub->wait_for(1));
  auto writer = hub->at(0);
  CHECK(writer->is_open());

  // Each event reaches the client while the stream stays open.
  CHECK(writer->send_event("{\"received\": 1}", "stats", "1"));
  REQUIRE(c.reader().wait_for("event: stats\nid: 1\ndata: {\"received\": 1}\n\n"));
  CHECK(writer->send_event("{\"received\": 2}", "stats", "2"));
  REQUIRE(c.reader().wait_for("data: {\"received\": 2}\n\n"));

  // A pusher on another thread, as the engine's stats ticker will be.
  std::thread pusher([writer] {
    for (int i = 0; i < 50; ++i) writer->send_event("tick " + std::to_string(i));
  });
  pusher.join();
  REQUIRE(c.reader().wait_for("data: tick 49\n\n"));

  s.server->stop();
  // The stream ends cleanly: the last chunk, then the connection closes.
  REQUIRE(c.reader().wait_for("0\r\n\r\n"));
  CHECK(c.reader().closed());
  CHECK_FALSE(writer->is_open());
  CHECK_FALSE(writer->send_event("too late"));
  CHECK(hub->closed == 1);
}

TEST_CASE("http server: an event stream notices the client leaving", "[http][server][sse]") {
  auto hub = std::make_shared<EventHub>();
  HttpRouter router;
  router.add("GET", "/api/events", [hub](const HttpRequest&) {
    return HttpResponse::event_stream([hub](std::shared_ptr<HttpStreamWriter> w) { hub->add(std::move(w)); });
  });
  RunningServer s(std::move(router));
  {
    Client c(s.port());
    c.send("GET /api/events HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(c.reader().wait_for(": hello"));
    REQUIRE(hub->wait_for(1));
  }
  CHECK(eventually([&] { return hub->closed == 1; }));
  CHECK_FALSE(hub->at(0)->is_open());
  CHECK(eventually([&] { return s.server->connection_count() == 0; }));

  // close() from the pushing side ends the response cleanly.
  Client c(s.port());
  c.send("GET /api/events HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(hub->wait_for(2));
  hub->at(1)->send_event("bye");
  hub->at(1)->close();
  REQUIRE(c.reader().wait_for("data: bye\n\n"));
  REQUIRE(c.reader().wait_for("\r\n0\r\n\r\n"));
  CHECK(c.reader().closed());
}

TEST_CASE("http server: a stream whose reader stalls is ended, not buffered without bound", "[http][server][sse]") {
  auto hub = std::make_shared<EventHub>();
  HttpRouter router;
  router.add("GET", "/api/events", [hub](const HttpRequest&) {
    return HttpResponse::event_stream([hub](std::shared_ptr<HttpStreamWriter> w) { hub->add(std::move(w)); });
  });
  HttpServerOptions options;
  options.max_stream_buffer = 64 * 1024;
  RunningServer s(std::move(router), options);
  Client c(s.port());
  int small = 1024;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send("GET /api/events HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(hub->wait_for(1));
  auto writer = hub->at(0);
  std::string event(16 * 1024, 'e');
  bool refused = false;
  for (int i = 0; i < 10000 && !refused; ++i) refused = !writer->send_event(event);  // the client reads nothing
  CHECK(refused);
  CHECK(eventually([&] { return hub->closed == 1; }));
}

TEST_CASE("http server: stop lets a request being handled get its answer", "[http][server]") {
  std::atomic<bool> in_handler{false};
  HttpRouter router;
  router.add("GET", "/slow", [&](const HttpRequest&) {
    in_handler = true;
    std::this_thread::sleep_for(500ms);
    return HttpResponse::text(200, "finished");
  });
  router.add("GET", "/fast", [](const HttpRequest&) { return HttpResponse::text(200, "fast"); });
  RunningServer s(std::move(router));
  Client busy(s.port());
  Client idle(s.port());
  REQUIRE(idle.get("/fast"));
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(eventually([&] { return in_handler.load(); }));

  auto stopped = std::async(std::launch::async, [&] { s.server->stop(); });
  auto r = busy.reader().next();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "finished");
  CHECK(r->header("connection") == "close");
  CHECK(busy.reader().closed());
  CHECK(idle.reader().closed());
  CHECK(stopped.wait_for(5s) == std::future_status::ready);
  CHECK(testing::connect_loopback(s.port()) < 0);  // no longer accepting
}

TEST_CASE("http server: stop gives up on a handler after stop_timeout", "[http][server]") {
  HttpRouter router;
  // Drops its responder without answering: the client gets a 500, not a hang.
  router.add_async("GET", "/never", [](HttpRequest, HttpResponder) {});
  // Keeps its responder and never answers: only stop_timeout ends it.
  std::mutex mutex;
  std::vector<HttpResponder> kept;
  router.add_async("GET", "/hang", [&](HttpRequest, HttpResponder responder) {
    std::lock_guard lock(mutex);
    kept.push_back(std::move(responder));
  });
  HttpServerOptions options;
  options.stop_timeout = 300ms;
  RunningServer s(std::move(router), options);
  Client dropped(s.port());
  auto r = dropped.get("/never");
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->body.find("no response") != std::string::npos);

  Client c(s.port());
  c.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return kept.size() == 1;
  }));
  auto started = std::chrono::steady_clock::now();
  s.server->stop();
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK(c.reader().closed());
  // Answering after the server stopped is harmless.
  kept[0].respond(HttpResponse::text(200, "late"));
  kept.clear();
}

TEST_CASE("http server: asynchronous handlers answer from another thread", "[http][server]") {
  HttpRouter router;
  router.add_async("POST", "/submit", [](HttpRequest request, HttpResponder responder) {
    // As the FHIR listener will: hand off, return, answer when the channel says so.
    std::thread([request = std::move(request), responder] {
      std::this_thread::sleep_for(50ms);
      auto r = HttpResponse::json(201, "{\"stored\": " + json_quote(request.body) + "}");
      r.headers.set("Location", "/Patient/1");
      responder.respond(std::move(r));
      responder.respond(HttpResponse::text(500, "ignored: the first answer wins"));
    }).detach();
  });
  router.add("GET", "/throws", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  RunningServer s(std::move(router));
  Client c(s.port());
  c.send("POST /submit HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
  auto r = c.reader().next();
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->header("location") == "/Patient/1");
  CHECK(r->body == R"({"stored": "{}"})");
  auto thrown = c.get("/throws");
  REQUIRE(thrown);
  CHECK(thrown->status == 500);
  CHECK(thrown->body == R"({"error": "internal server error"})");
  CHECK(thrown->body.find("boom") == std::string::npos);  // internals stay in the log
  CHECK(s.server->counters().handler_errors == 1);
}

TEST_CASE("http server: a port in use is a start error, not a crash", "[http][server]") {
  RunningServer first(echo_router());
  HttpServerOptions options;
  options.port = static_cast<std::uint16_t>(first.port());
  HttpServer second(options, echo_router());
  std::string error;
  CHECK_FALSE(second.start(error));
  CHECK(error.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);

  HttpServerOptions bad_tls;
  bad_tls.tls.enabled = true;
  bad_tls.tls.cert = "/nonexistent/server.pem";
  HttpServer third(bad_tls, echo_router());
  CHECK_FALSE(third.start(error));
  CHECK(error.find("tls.cert") != std::string::npos);
}

namespace {

// A CA, a server certificate for 127.0.0.1 and a client certificate signed
// by it, made with the openssl CLI.
struct Certificates {
  fs::path dir;
  Certificates() {
    dir = fs::temp_directory_path() / ("artery-http-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string script =
        "cd '" + dir.string() + "' && "
        "openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=Artery Test CA' && "
        "openssl req " + key + " -keyout server.key -out server.csr -subj '/CN=localhost' && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext && "
        "openssl req " + key + " -keyout client.key -out client.csr -subj '/CN=artery-client' && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2";
    script = "(" + script + ") >/dev/null 2>&1";
    if (std::system(script.c_str()) != 0) throw std::runtime_error("openssl could not make test certificates");
  }
  ~Certificates() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string operator()(const char* name) const { return (dir / name).string(); }
};

const Certificates& certificates() {
  static Certificates c;
  return c;
}

// A blocking TLS client that verifies the server against the test CA.
class TlsClient {
 public:
  TlsClient(int port, bool with_client_cert, int max_version = 0)
      : fd_(testing::connect_loopback(port)), reader_([this](char* b, std::size_t n) {
          int r = SSL_read(ssl_, b, static_cast<int>(n));
          return r > 0 ? static_cast<long>(r) : -1L;
        }) {
    auto& c = certificates();
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, c("ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (max_version) SSL_CTX_set_max_proto_version(ctx_, max_version);
    if (with_client_cert) {
      SSL_CTX_use_certificate_file(ctx_, c("client.pem").c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, c("client.key").c_str(), SSL_FILETYPE_PEM);
    }
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  bool handshake() { return SSL_connect(ssl_) == 1; }
  std::optional<Response> get(const std::string& path) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return std::nullopt;
    return reader_.next();
  }
  const char* version() const { return SSL_get_version(ssl_); }

 private:
  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  ResponseReader reader_;
};

HttpServerOptions tls_options(bool require_client_cert) {
  auto& c = certificates();
  HttpServerOptions options;
  options.tls.enabled = true;
  options.tls.cert = c("server.pem");
  options.tls.key = c("server.key");
  if (require_client_cert) options.tls.ca = c("ca.pem"), options.tls.verify_peer = true;
  return options;
}

}  // namespace

TEST_CASE("http server: TLS with a verified handshake, keep-alive over it", "[http][server][tls]") {
  RunningServer s(echo_router(), tls_options(false));
  TlsClient c(s.port(), false);
  REQUIRE(c.handshake());
  auto r = c.get("/peer");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("127.0.0.1 ") == 0);
  CHECK(r->body.find(" tls") != std::string::npos);
  auto again = c.get("/api/channels/secure");
  REQUIRE(again);
  CHECK(again->body.find("\"secure\"") != std::string::npos);
  CHECK(std::string(c.version()).rfind("TLSv1.", 0) == 0);
}

TEST_CASE("http server: TLS refuses TLS 1.1 and a plaintext client cleanly", "[http][server][tls]") {
  RunningServer s(echo_router(), tls_options(false));
  {
    TlsClient old(s.port(), false, TLS1_1_VERSION);
    CHECK_FALSE(old.handshake());
  }
  {
    Client plain(s.port());
    auto r = plain.get("/api/channels/a");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("HTTPS") != std::string::npos);
    CHECK(plain.reader().closed());
  }
  CHECK(s.server->counters().tls_failures == 2);
  // The server is unharmed.
  TlsClient c(s.port(), false);
  REQUIRE(c.handshake());
  CHECK(c.get("/api/channels/a")->status == 200);
}

TEST_CASE("http server: TLS client certificates when a client CA is set", "[http][server][tls]") {
  RunningServer s(echo_router(), tls_options(true));
  {
    TlsClient anonymous(s.port(), false);
    // TLS 1.3 reports a missing client certificate after the handshake: either way no answer comes.
    bool served = anonymous.handshake() && anonymous.get("/peer").has_value();
    CHECK_FALSE(served);
  }
  TlsClient c(s.port(), true);
  REQUIRE(c.handshake());
  auto r = c.get("/peer");
  REQUIRE(r);
  CHECK(r->body.find("CN=artery-client") != std::string::npos);
}

TEST_CASE("http server: silent connections do not lock TLS clients out", "[http][server][tls]") {
  HttpServerOptions options = tls_options(false);
  options.max_connections = 3;
  RunningServer s(echo_router(), options);
  std::vector<std::unique_ptr<Client>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<Client>(s.port()));
  REQUIRE(eventually([&] { return s.server->connection_count() == 3; }));
  TlsClient c(s.port(), false);
  REQUIRE(c.handshake());
  auto r = c.get("/api/channels/real");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(silent[0]->reader().closed());  // the longest-silent one made room
}
