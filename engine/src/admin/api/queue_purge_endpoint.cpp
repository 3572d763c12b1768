// POST /api/channels/{name}/queue/purge {destination?}: an operator gives up
// on a channel's queued deliveries (a peer gone for good, a flood of bad
// messages). Nothing vanishes silently: each delivery ends as ERROR "purged
// by <user>", its message's state follows, the counters move from queued to
// errored, and the audit log says who did it.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "control/channel_registry.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_queue_purge(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/channels/{name}/queue/purge", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        const std::string& name = request.param("name");
        std::string destination;
        if (!request.body.empty()) {
          boost::system::error_code ec;
          auto json = boost::json::parse(request.body, ec);
          const boost::json::value* value = nullptr;
          if (!ec && json.is_object()) value = json.as_object().if_contains("destination");
          if (ec || !json.is_object() || (value && !value->is_string() && !value->is_null()))
            return json_error(400, "the body must be a JSON object: {} or {\"destination\": \"name\"}");
          if (value && value->is_string()) destination = std::string(value->as_string());
        }
        if (!context.channels.snapshot(name)) return json_error(404, "no channel named '" + name + "'");
        const std::string reason = "purged by " + (who.user.empty() ? std::string("an anonymous caller") : who.user);
        std::int64_t purged = 0;
        auto result = context.channels.purge_queue(name, destination, reason, purged);
        const std::string what = destination.empty() ? "every destination" : "destination " + destination;
        audit(context, request, who,
              {"channel.queue_purge", name, 0, result.ok,
               result.ok ? std::to_string(purged) + " deliveries of " + what : result.error});
        if (!result.ok) return json_error(404, result.error);
        boost::json::object body{{"purged", purged}, {"channel", name}, {"destination", destination}};
        return json_ok(boost::json::serialize(body));
      },
      {"Ends a channel's queued deliveries (one destination's, or all) as ERROR \"purged by <user>\"; the counters "
       "move from queued to errored",
       "channels",
       {{"name", "path", "string", "the channel's name", true}},
       R"json({"type":"object","properties":{"destination":{"type":"string","description":"only this destination's queue (default: every destination)"}}})json",
       R"({"type":"object","properties":{"purged":{"type":"integer"},"channel":{"type":"string"},"destination":{"type":"string"}}})",
       "application/json",
       {400, 404}});
}

}  // namespace artery::admin
