// POST /api/channels/{name}/start|stop|pause|resume|redeploy: an operator's
// command, through the registry, recorded in the audit log either way. A
// stop or pause is remembered by the registry, so it survives a redeploy
// and a restart (a stopped channel never restarts itself).
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/channel_json.hpp"
#include "control/channel_registry.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_channel_actions(AdminRoutes& routes, AdminContext& context) {
  for (const std::string action : {"start", "stop", "pause", "resume", "redeploy"}) {
    routes.add(
        "POST", "/api/channels/{name}/" + action, Access::at_least(Role::operator_),
        [&context, action](const HttpRequest& request, const Principal& who) {
          const std::string& name = request.param("name");
          if (!context.channels.snapshot(name)) return json_error(404, "no channel named '" + name + "'");
          ControlResult result;
          if (action == "start") result = context.channels.start(name);
          else if (action == "stop") result = context.channels.stop(name);
          else if (action == "pause") result = context.channels.pause(name);
          else if (action == "resume") result = context.channels.resume(name);
          else if (auto problem = context.redeploy(name); !problem.empty()) result = ControlResult::failure(problem);
          audit(context, request, who, {"channel." + action, name, 0, result.ok, result.error});
          if (!result.ok) return json_error(409, result.error);
          auto channel = context.channels.snapshot(name);
          return json_ok(boost::json::serialize(channel ? channel_json(*channel, false) : boost::json::object{}));
        },
        {action == "redeploy" ? "Re-reads the channel's file and redeploys it, in the state its operator chose"
                              : "Asks the channel to " + action,
         "channels",
         {{"name", "path", "string", "the channel's name", true}},
         "",
         R"({"$ref":"#/components/schemas/Channel"})",
         "application/json",
         {404, 409}});
  }
}

}  // namespace artery::admin
