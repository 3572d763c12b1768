// POST /api/plugins/reload: read the plugins folder again, load what is new or
// changed from unique copies, and redeploy the channels whose plugin types
// changed (Engine::reload_plugins, reached through AdminContext so hot
// reload's coordinator can serialize it with its other triggers). 200 when
// everything was taken; 409 with the same body and an "error" when a file was
// refused or a channel could not move: what was running stays.
//
// Operator, like POST /api/channels/{name}/redeploy: the request carries no
// code, it only makes the engine read the plugins folder, which only whoever
// administers the host can write.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/api/plugins_json.hpp"
#include "admin/audit_trail.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

std::string summary(const PluginsReloadOutcome& outcome) {
  std::string out;
  auto add = [&out](const std::string& line) { out += (out.empty() ? "" : "; ") + line; };
  for (const auto& refusal : outcome.plugins.refused)
    add("refused " + refusal.file.string() + ": " + refusal.reason);
  for (const auto& kept : outcome.kept) add("channel " + kept.channel + " stays on the previous version: " + kept.reason);
  for (const auto& failed : outcome.failed) add("channel " + failed.channel + " failed to start: " + failed.reason);
  if (out.empty()) {
    auto changed = outcome.plugins.changed();
    if (changed.empty()) return "no plugin changed";
    for (const auto& name : changed) out += (out.empty() ? "changed: " : ", ") + name;
  }
  return out;
}

}  // namespace

void register_plugins_reload(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/plugins/reload", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        if (!context.reload_plugins) return json_error(503, "plugin reload is not available in this engine");
        const PluginsReloadOutcome outcome = context.reload_plugins();
        const std::string what = summary(outcome);
        audit(context, request, who, {"plugins.reload", "", 0, outcome.ok(), what});
        auto body = plugins_reload_outcome_json(outcome);
        if (outcome.ok()) return json_ok(boost::json::serialize(body));
        body["error"] = what;
        return HttpResponse::json(409, boost::json::serialize(body));
      },
      {"Reads the plugins folder again, loads new and changed libraries, and redeploys the channels using them",
       "plugins",
       {},
       "",
       R"({"type":"object","properties":{)" ARTERY_PLUGIN_RELOAD_FIELDS R"(,
"redeployed":{"type":"array","items":{"type":"string"}},
"kept":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string"},"reason":{"type":"string"}}}},
"failed":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string"},"reason":{"type":"string"}}}},
"error":{"type":"string"}}})",
       "application/json",
       {409, 503}});
}

}  // namespace artery::admin
