// The core HTTP server alone: keep-alive POSTs of a small JSON body to a
// handler that answers at once (blocking and asynchronous routes), over 1
// and 8 connections. Prints requests/s and latency percentiles: the ceiling
// the admin API and the FHIR listener start from. Figures, never assertions.
#include "support/loopback.hpp"

#include <artery/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

using namespace artery;
using Clock = std::chrono::steady_clock;

namespace {

// Sends one request, reads until the Content-Length body is complete.
class Client {
 public:
  explicit Client(int port) : fd_(testing::connect_loopback(port)) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool round_trip(const std::string& request) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return false;
    for (;;) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto at = buffer_.find("Content-Length: ");
        std::size_t length = at < end ? std::stoul(buffer_.substr(at + 16)) : 0;
        if (buffer_.size() >= end + 4 + length) {
          buffer_.erase(0, end + 4 + length);
          return true;
        }
      }
      char chunk[8192];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

void run(int port, const char* path, int connections, std::chrono::seconds duration) {
  const std::string body = R"({"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}]})";
  const std::string request = std::string("POST ") + path +
                              " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::atomic<bool> go{false}, done{false};
  std::vector<std::vector<double>> latencies(connections);
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i)
    threads.emplace_back([&, i] {
      Client c(port);
      while (!go) std::this_thread::yield();
      while (!done) {
        auto start = Clock::now();
        if (!c.round_trip(request)) return;
        latencies[i].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
    });
  auto started = Clock::now();
  go = true;
  std::this_thread::sleep_for(duration);
  done = true;
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * (all.size() - 1))]; };
  std::printf("  %-8s %2d connection%s: %8.0f req/s  p50 %6.0f us  p99 %6.0f us\n", path, connections,
              connections == 1 ? " " : "s", all.size() / seconds, pct(0.50), pct(0.99));
}

}  // namespace

int main() {
  HttpRouter router;
  router.add("POST", "/sync", [](const HttpRequest& r) {
    return HttpResponse::json(201, "{\"id\": \"1\", \"bytes\": " + std::to_string(r.body.size()) + "}");
  });
  router.add_async("POST", "/async", [](HttpRequest r, HttpResponder reply) {
    reply.respond(HttpResponse::json(201, "{\"id\": \"1\", \"bytes\": " + std::to_string(r.body.size()) + "}"));
  });
  HttpServerOptions options;
  options.log = [](LogLevel, std::string_view) {};
  HttpServer server(options, std::move(router));
  std::string error;
  if (!server.start(error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("HTTP server, keep-alive POST of a 70-byte JSON body, answered at once:\n");
  for (const char* path : {"/sync", "/async"})
    for (int connections : {1, 8}) run(server.port(), path, connections, std::chrono::seconds(3));
  server.stop();
  return 0;
}
