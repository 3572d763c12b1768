// A real HTTP server on loopback that records every POST/PUT it gets (the
// engine's own artery::HttpServer), for webhook tests. It can be started late,
// on a port chosen earlier, to play an endpoint that is down at first.
#pragma once
#include <artery/http_server.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace artery::testing {

struct ReceivedRequest {
  std::string method, target, content_type, authorization, body;
  HttpHeaders headers;
};

class WebhookSink {
 public:
  explicit WebhookSink(int port) : port_(port) {}
  // An https:// endpoint with this certificate and key.
  WebhookSink(int port, std::string cert, std::string key) : port_(port), cert_(std::move(cert)), key_(std::move(key)) {}
  ~WebhookSink() { stop(); }
  void start();  // REQUIREs that it binds
  void stop();
  int port() const { return port_; }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return (cert_.empty() ? "http://" : "https://") + host + ":" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> requests() const;

 private:
  int port_;
  std::string cert_, key_;
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
};

}  // namespace artery::testing
