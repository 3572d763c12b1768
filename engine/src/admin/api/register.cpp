// The admin API's table of contents. openapi.json describes every route
// registered here, read when it is asked for.
#include "admin/api/endpoints.hpp"

namespace artery::admin {

void register_admin_api(AdminRoutes& routes, AdminContext& context) {
  register_health(routes, context);
  register_channels(routes, context);
  register_channel_actions(routes, context);
  register_cluster(routes, context);
  register_plugins(routes, context);
  register_plugins_reload(routes, context);
  register_reload(routes, context);
  register_events(routes, context);
  register_messages(routes, context);
  register_reprocess(routes, context);
  register_bulk_reprocess(routes, context);
  register_queue_purge(routes, context);
  register_audit(routes, context);
  register_alerts(routes, context);
  register_login(routes, context);
  register_session(routes, context);
  register_users(routes, context);
  register_tokens(routes, context);
  register_key_rotation(routes, context);
  register_metrics(routes, context);
  register_openapi(routes, context);
  register_console(routes, context);  // the catch-all: after every /api route
}

}  // namespace artery::admin
