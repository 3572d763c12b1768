#include "admin/admin_server.hpp"

#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/stats_sampler.hpp"
#include "clock/unix_time.hpp"
#include "alerts/alert_runner.hpp"
#include "log/logger.hpp"
#include "runtime/engine.hpp"
#include "store/audit_log.hpp"

#include <artery/http.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>

namespace artery::admin {

// Declared in their order of construction: the routes' handlers refer to the
// context, which refers to the sampler and the audit log; the server goes first.
struct AdminServer::Parts {
  std::shared_ptr<AuditLog> audit;  // shared with the alert sink, which may run while we stop
  std::unique_ptr<StatsSampler> stats;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<AdminContext> context;
  std::unique_ptr<AdminRoutes> routes;
  std::unique_ptr<HttpServer> server;
};

AdminServer::AdminServer(Engine& engine, AdminServerOptions options)
    : engine_(engine), options_(std::move(options)) {}

AdminServer::~AdminServer() { stop(); }

std::unique_ptr<Authenticator> make_authenticator(AdminContext& context);

bool AdminServer::start(std::string& error) {
  auto parts = std::make_unique<Parts>();
  try {
    parts->audit = std::make_shared<AuditLog>(engine_.config().data_dir / "artery.db");
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  parts->stats = std::make_unique<StatsSampler>(engine_.channels());
  parts->context = std::make_unique<AdminContext>(AdminContext{
      engine_.channels(), engine_.store(), engine_.plugins(), *parts->audit, engine_.config(), *parts->stats,
      nullptr, engine_.alerts(), options_.console_dir, std::chrono::steady_clock::now(),
      [this](const std::string& name) { return engine_.redeploy(name).error; },
      [this] {
        std::map<std::string, std::int64_t> ages;
        const std::int64_t now = unix_time_ms();
        for (const auto& [channel, oldest_ms] : engine_.store().oldest_queued_ms())
          ages[channel] = std::max<std::int64_t>((now - oldest_ms) / 1000, 0);
        return ages;
      },
      engine_.reloads(),
      [this](const std::string& trigger) { return engine_.reload_plugins(trigger); }});
  AdminContext& context = *parts->context;
  context.cluster = engine_.cluster_view();

  parts->authenticator = make_authenticator(context);

  HttpRouter router;
  parts->routes = std::make_unique<AdminRoutes>(router, *parts->authenticator);
  parts->routes->on_refusal([&context](const HttpRequest& request, const Principal& who, const std::string& why) {
    audit(context, request, who, {"access_denied", {}, 0, false, why});
  });
  register_admin_api(*parts->routes, context);

  HttpServerOptions server_options;
  server_options.host = options_.listen.host;
  server_options.port = options_.listen.port;
  server_options.log_name = "admin";
  server_options.tls = options_.tls;
  // SSE streams stay open; the idle timeout only applies between requests.
  parts->server = std::make_unique<HttpServer>(std::move(server_options), std::move(router));
  parts->stats->start();
  if (!parts->server->start(error)) {
    error = "admin HTTP API on " + options_.listen.host + ":" + std::to_string(options_.listen.port) + ": " + error;
    parts->stats->stop();
    return false;
  }
  // Logins, session cookies and message content cross this port.
  const std::string exposed = plaintext_listener_warning(
      options_.listen.host, parts->server->port(), options_.tls.enabled,
      "set http: {listen: ..., tls: {enabled: true, cert: ..., key: ...}} in artery.yaml, or --http 127.0.0.1:PORT "
      "(docs/security.md#tls)");
  if (!exposed.empty()) logger::warn("admin", exposed);
  if (AlertRunner* alerts = engine_.alerts()) {
    // Alerts are part of the record: who was told what, and whether it arrived.
    alerts->set_sink([audit = parts->audit](const AlertEvent& event) {
      AuditEntry entry;
      entry.action = "alert." + event.kind;
      entry.channel = event.channel;
      entry.ok = event.delivery != "failed";
      entry.detail = event.rule + ": " + event.reason + " (notifications: " + event.delivery + ")";
      audit->record(std::move(entry));
    });
  }
  parts_ = std::move(parts);
  return true;
}

void AdminServer::stop() {
  if (!parts_) return;
  if (AlertRunner* alerts = engine_.alerts()) alerts->set_sink({});
  parts_->server->stop();
  parts_->stats->stop();
  parts_.reset();
}

std::uint16_t AdminServer::port() const { return parts_ ? parts_->server->port() : 0; }

std::filesystem::path default_console_dir() {
  if (const char* dir = std::getenv("ARTERY_CONSOLE_DIR"); dir && *dir) return dir;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("console") : self.parent_path() / "console";
}

}  // namespace artery::admin
