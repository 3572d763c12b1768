// Every admin endpoint, one registration function per file in this folder;
// register_admin_api (register.cpp) is the one place that lists them all.
#pragma once

namespace artery::admin {

class AdminRoutes;
struct AdminContext;

void register_health(AdminRoutes& routes, AdminContext& context);           // GET /api/health
void register_channels(AdminRoutes& routes, AdminContext& context);         // GET /api/channels[/{name}]
void register_channel_actions(AdminRoutes& routes, AdminContext& context);  // POST /api/channels/{name}/{action}
void register_cluster(AdminRoutes& routes, AdminContext& context);          // GET /api/cluster
void register_plugins(AdminRoutes& routes, AdminContext& context);          // GET /api/plugins
void register_reload(AdminRoutes& routes, AdminContext& context);           // POST|GET /api/reload
void register_plugins_reload(AdminRoutes& routes, AdminContext& context);   // POST /api/plugins/reload
void register_events(AdminRoutes& routes, AdminContext& context);           // GET /api/events (SSE)
void register_messages(AdminRoutes& routes, AdminContext& context);         // GET /api/messages[/{id}]
void register_reprocess(AdminRoutes& routes, AdminContext& context);        // POST /api/messages/{id}/reprocess
void register_bulk_reprocess(AdminRoutes& routes, AdminContext& context);   // POST /api/messages/reprocess
void register_queue_purge(AdminRoutes& routes, AdminContext& context);      // POST /api/channels/{name}/queue/purge
void register_audit(AdminRoutes& routes, AdminContext& context);            // GET /api/audit
void register_alerts(AdminRoutes& routes, AdminContext& context);           // GET /api/alerts
void register_login(AdminRoutes& routes, AdminContext& context);            // POST /api/login, POST /api/logout
void register_session(AdminRoutes& routes, AdminContext& context);          // GET /api/session
void register_users(AdminRoutes& routes, AdminContext& context);            // GET|POST /api/users, PUT|DELETE /api/users/{name}
void register_tokens(AdminRoutes& routes, AdminContext& context);           // GET|POST /api/tokens, DELETE /api/tokens/{id}
void register_key_rotation(AdminRoutes& routes, AdminContext& context);     // POST /api/keys/rotate, GET /api/keys/rotation
void register_metrics(AdminRoutes& routes, AdminContext& context);          // GET /metrics (Prometheus)
void register_openapi(AdminRoutes& routes, AdminContext& context);          // GET /api/openapi.json
void register_console(AdminRoutes& routes, AdminContext& context);          // GET /{path...} (the web console)

void register_admin_api(AdminRoutes& routes, AdminContext& context);

}  // namespace artery::admin
