// POST /api/plugins/reload: load new or replaced plugin libraries from the
// plugins folder and redeploy the channels that use them. Not available until
// the plugin registry can load a library beside a running one; until then the
// answer says so plainly (501) and nothing is touched.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/reload_json.hpp"

namespace artery::admin {

void register_plugins_reload(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/plugins/reload", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        const std::string why =
            "plugin reload is not available yet in this build: restart the engine to load a new or changed plugin";
        audit(context, request, who, {"plugins.reload", {}, 0, false, why});
        return json_error(501, why);
      },
      {"Loads new or replaced plugin libraries and redeploys the channels using them (not available yet: 501)",
       "plugins",
       {},
       "",
       kReloadOutcomeSchema,
       "application/json",
       {501}});
}

}  // namespace artery::admin
