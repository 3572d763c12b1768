// POST /api/plugins/reload: read the plugins folder again, load what is new or
// changed from unique copies, and redeploy the channels whose plugin types
// changed (Engine::reload_plugins, through hot reload's queue: serialized
// with every other reload, answered when the reload that covered the request
// is done). The answer is the reload's outcome (the shape of POST
// /api/reload, so `artery reload --plugins` reads it alike) plus what the
// plugin pass did: replaced, added, removed, refused files with the reason,
// and the channels redeployed, kept on the old build, or failed. `ok` is
// false when a file was refused or a channel could not move: what was
// running stays.
//
// Operator, like POST /api/channels/{name}/redeploy and POST /api/reload: the
// request carries no code, it only makes the engine read the plugins folder,
// which only whoever administers the host can write.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/api/plugins_json.hpp"
#include "admin/audit_trail.hpp"
#include "admin/reload_json.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_plugins_reload(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/plugins/reload", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        if (!context.reload_plugins) return json_error(503, "plugin reload is not available in this engine");
        const std::string by = who.user.empty() ? std::string("an anonymous caller") : who.user;
        const PluginsReloadOutcome outcome = context.reload_plugins("POST /api/plugins/reload by " + by);
        const std::string what = outcome.summary();
        audit(context, request, who, {"plugins.reload", "", 0, outcome.ok(), what});
        boost::json::object body;
        if (outcome.reload) body = reload_outcome_json(*outcome.reload);
        for (auto& [key, value] : plugins_reload_outcome_json(outcome)) body[key] = value;
        body["ok"] = outcome.reload ? outcome.reload->ok : outcome.ok();
        body["plugins"] = what;
        if (!body["ok"].as_bool() && !body.contains("error")) body["error"] = what;
        return json_ok(boost::json::serialize(body));
      },
      {"Reads the plugins folder again through the reload queue, loads new and changed libraries (each from its own "
       "copy, checked before use) and redeploys the channels using them; ok is false when a file was refused or a "
       "channel could not move (the running versions stay)",
       "plugins",
       {},
       "",
       R"({"allOf":[)" + std::string(kReloadOutcomeSchema) + R"(,{"type":"object","properties":{)"
           ARTERY_PLUGIN_RELOAD_FIELDS R"(,
"redeployed":{"type":"array","items":{"type":"string"}},
"kept":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string"},"reason":{"type":"string"}}}},
"failed":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string"},"reason":{"type":"string"}}}}}}]})",
       "application/json",
       {503}});
}

}  // namespace artery::admin
