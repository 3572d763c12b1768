// The `fhir` source in mode listen: the FHIR REST API (rest_api.hpp) on the
// engine's HttpServer, with the repository when `repository: true`.
#include "fhir_connectors.hpp"
#include "fhir_options.hpp"
#include "listener/authorization.hpp"
#include "listener/fhir_http.hpp"
#include "listener/repository.hpp"
#include "listener/resource_types.hpp"
#include "listener/rest_api.hpp"

#include <artery/http_server.hpp>
#include <artery/option_reader.hpp>
#include <artery/tls_settings.hpp>

#include <condition_variable>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace artery::fhir {
namespace {

struct ListenerSettings {
  Address listen;
  RestSettings rest;
  bool repository = false;
  std::filesystem::path seed;
  std::uint64_t max_body = 0;
  std::size_t max_connections = 256;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::size_t handler_threads = 4;
  TlsSettings tls;
  AuthorizationSettings authorization;
};

ListenerSettings read_settings(const ConnectorOptions& options, ConnectorContext& context) {
  OptionReader read(options, kSourceOptions, kSourceOptionCount);
  const auto base = context.base_dir();
  ListenerSettings s;
  if (auto a = read.address("listen")) s.listen = *a;
  s.rest.base_path = read.string("base_path");
  if (s.rest.base_path.empty() || s.rest.base_path[0] != '/') read.fail("base_path", "must start with /");
  while (s.rest.base_path.size() > 1 && s.rest.base_path.back() == '/') s.rest.base_path.pop_back();
  s.repository = read.boolean("repository");
  s.rest.resource_types = read.list("resource_types");
  for (const auto& t : s.rest.resource_types)
    if (!is_r4_resource_type(t)) read.fail("resource_types", "'" + t + "' is not a FHIR R4 resource type");
  s.seed = read.path("seed", base);
  s.rest.page_size = read.integer("page_size", 1, 10'000);
  s.rest.max_page_size = read.integer("max_page_size", 1, 10'000);
  s.max_body = read.size("max_body");
  s.max_connections = static_cast<std::size_t>(read.integer("max_connections", 1, 100'000));
  s.idle_timeout = read.duration("idle_timeout");
  s.read_timeout = read.duration("read_timeout");
  s.handler_threads = static_cast<std::size_t>(read.integer("handler_threads", 1, 256));
  s.tls = read_listener_tls(read, base);
  s.rest.tls = s.tls.enabled;
  switch (read.choice("authorization.type", {"none", "token", "jwt"})) {
    case 1: s.authorization.type = AuthorizationSettings::Type::token; break;
    case 2: s.authorization.type = AuthorizationSettings::Type::jwt; break;
    default: break;
  }
  s.authorization.tokens_file = read.path("authorization.tokens_file", base);
  s.authorization.public_key = read.path("authorization.public_key", base);
  s.authorization.jwks_file = read.path("authorization.jwks_file", base);
  s.authorization.issuer = read.string("authorization.issuer");
  s.authorization.audience = read.string("authorization.audience");
  if (!s.seed.empty() && !s.repository) read.fail("seed", "needs repository: true");
  if (!read.ok()) throw std::runtime_error(read.error());
  return s;
}

class FhirListener : public Source {
 public:
  FhirListener(ListenerSettings settings, ConnectorContext& context)
      : settings_(std::move(settings)), context_(context), authorization_(settings_.authorization) {}
  ~FhirListener() override { stop(); }

  bool start(SourceHost& host, std::string& error) override {
    try {
      if (settings_.repository) {
        const auto file = context_.data_dir() / "fhir" / (context_.channel() + ".sqlite");
        repository_ = std::make_unique<Repository>(file, context_.value_cipher(), context_.channel());
      }
      api_ = std::make_unique<FhirRestApi>(settings_.rest, repository_.get(), authorization_, context_);
      if (!settings_.seed.empty() && repository_->empty()) {
        std::ifstream in(settings_.seed, std::ios::binary);
        if (!in) throw std::runtime_error("seed " + settings_.seed.string() + ": cannot be read");
        std::ostringstream text;
        text << in.rdbuf();
        std::size_t n = api_->seed(text.str());
        context_.log(LogLevel::info, "fhir: seeded the empty repository with " + std::to_string(n) +
                                         " resources from " + settings_.seed.string());
      }
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
    api_->set_host(&host);
    HttpRouter router;
    api_->add_routes(router);
    HttpServerOptions options;
    options.host = settings_.listen.host;
    options.port = settings_.listen.port;
    options.tls = settings_.tls;
    options.max_body_bytes = settings_.max_body;
    options.max_connections = settings_.max_connections;
    options.idle_timeout = settings_.idle_timeout;
    options.read_timeout = settings_.read_timeout;
    options.handler_threads = settings_.handler_threads;
    options.error_response = [](int status, std::string_view message) {
      std::string text(message);
      if (status == 404) text = "no such FHIR endpoint: " + text;
      return outcome_response(status, text);
    };
    options.log = [this](LogLevel level, std::string_view text) { context_.log(level, std::string(text)); };
    options.log_name = "fhir";
    options.listen_sockets = context_.listen_sockets();  // the port stays open across a redeploy
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(router));
    if (!server_->start(error)) {
      error = "fhir listener on " + settings_.listen.host + ":" + std::to_string(settings_.listen.port) + ": " + error;
      server_.reset();
      return false;
    }
    context_.log(LogLevel::info, "fhir: listening on " + std::string(settings_.tls.enabled ? "https" : "http") + "://" +
                                     settings_.listen.host + ":" + std::to_string(server_->port()) +
                                     settings_.rest.base_path + (repository_ ? " (repository)" : ""));
    const std::string exposed = plaintext_listener_warning(
        settings_.listen.host, server_->port(), settings_.tls.enabled,
        "set tls: {enabled: true, cert: ..., key: ...} in this source, or listen on 127.0.0.1 (docs/security.md#tls)");
    if (!exposed.empty()) context_.log(LogLevel::warn, "fhir: " + exposed);
    metrics_thread_ = std::thread([this] { publish_metrics_loop(); });
    return true;
  }

  void stop() override {
    if (!server_) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (metrics_thread_.joinable()) metrics_thread_.join();
    server_->stop();  // in-flight requests get their answers
    publish_metrics();
    api_->set_host(nullptr);
    server_.reset();
    repository_.reset();  // the writer finishes what is queued
  }

 private:
  // The server counts; the connector's metrics are what the engine shows.
  void publish_metrics() {
    const HttpServerCounters c = server_->counters();
    auto& m = context_.metrics();
    m.add_bytes_in(c.bytes_in - last_.bytes_in);
    m.add_bytes_out(c.bytes_out - last_.bytes_out);
    for (auto i = last_.requests; i < c.requests; ++i) m.add_request();
    for (auto i = last_.connections_total - last_.connections_refused; i < c.connections_total - c.connections_refused; ++i)
      m.connection_opened();
    const auto closed_before = last_.connections_total - last_.connections_refused - last_.connections_open;
    const auto closed_now = c.connections_total - c.connections_refused - c.connections_open;
    for (auto i = closed_before; i < closed_now; ++i) m.connection_closed();
    for (auto i = last_.connections_refused; i < c.connections_refused; ++i) m.connection_refused();
    for (auto i = last_.timeouts; i < c.timeouts; ++i) m.add_error(ConnectorError::timeout);
    for (auto i = last_.bad_requests; i < c.bad_requests; ++i) m.add_error(ConnectorError::protocol);
    for (auto i = last_.tls_failures; i < c.tls_failures; ++i) m.add_error(ConnectorError::tls);
    for (auto i = last_.handler_errors; i < c.handler_errors; ++i) m.add_error(ConnectorError::io);
    last_ = c;
  }

  void publish_metrics_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      lock.unlock();
      publish_metrics();
      lock.lock();
    }
  }

  ListenerSettings settings_;
  ConnectorContext& context_;
  Authorization authorization_;
  std::unique_ptr<Repository> repository_;
  std::unique_ptr<FhirRestApi> api_;
  std::unique_ptr<HttpServer> server_;
  std::thread metrics_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  HttpServerCounters last_;
};

}  // namespace

std::unique_ptr<Source> create_listener(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<FhirListener>(read_settings(options, context), context);
}

}  // namespace artery::fhir
