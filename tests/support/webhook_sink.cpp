#include "support/webhook_sink.hpp"

#include <stdexcept>

namespace artery::testing {

void WebhookSink::start() {
  HttpRouter router;
  auto record = [this](const HttpRequest& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back({request.method, request.target, request.headers.get("Content-Type"),
                         request.headers.get("Authorization"), request.body, request.headers});
    return HttpResponse::json(200, "{\"ok\":true}");
  };
  router.add("POST", "/{path...}", record);
  router.add("PUT", "/{path...}", record);
  HttpServerOptions options;
  options.port = static_cast<std::uint16_t>(port_);
  options.tls.enabled = !cert_.empty();
  options.tls.cert = cert_;
  options.tls.key = key_;
  server_ = std::make_unique<HttpServer>(options, std::move(router));
  std::string error;
  if (!server_->start(error)) throw std::runtime_error("webhook test server: " + error);
}

void WebhookSink::stop() {
  if (server_) server_->stop();
  server_.reset();
}

std::vector<ReceivedRequest> WebhookSink::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

}  // namespace artery::testing
