// POST /api/reload [{channel}]: reload the channels folder now (what the file
// watcher and SIGHUP do), or redeploy one channel from its file; answered
// when the reload that covered the request is done, with what it really did.
// GET /api/reload: whether one is running or queued, and the last outcome.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/cluster_reload.hpp"
#include "admin/reload_json.hpp"
#include "reload/reload_coordinator.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_reload(AdminRoutes& routes, AdminContext& context) {
  serve_cluster_reload(context);  // with the cluster view: reload when another node asks
  routes.add(
      "POST", "/api/reload", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        if (!context.reloads) return json_error(503, "hot reload is not running in this engine");
        ReloadRequest reload;
        std::string channel;
        if (!request.body.empty()) {
          boost::system::error_code ec;
          auto json = boost::json::parse(request.body, ec);
          const boost::json::value* value = nullptr;
          if (!ec && json.is_object()) value = json.as_object().if_contains("channel");
          if (ec || !json.is_object() || (value && !value->is_string()))
            return json_error(400, "the body must be a JSON object: {} or {\"channel\": \"name\"}");
          if (value) channel = std::string(value->as_string());
        }
        const auto scope = request.query_param("scope").value_or("");
        if (scope == "cluster") return cluster_reload(context, request, who, channel);
        if (!scope.empty() && scope != "node")
          return json_error(400, "scope: '" + scope + "' is neither node (this node, the default) nor cluster");
        const std::string by = who.user.empty() ? std::string("an anonymous caller") : who.user;
        if (channel.empty()) reload.folder = true;
        else reload.channels.insert(channel);
        reload.triggers.push_back("POST /api/reload by " + by + (channel.empty() ? "" : " (channel " + channel + ")"));
        auto outcome = context.reloads->run(std::move(reload));
        audit(context, request, who,
              {"reload", channel, 0, outcome.ok,
               outcome.ok ? std::to_string(outcome.changes.size()) + " changes" : outcome.error});
        return json_ok(boost::json::serialize(reload_outcome_json(outcome)));
      },
      {"Reloads the channels folder (or redeploys one channel) through the reload queue and answers with the real "
       "outcome of the reload that covered the request: ok is false when a change was refused or did not start",
       "reload",
       {{"scope", "query", "string", "node (default): this node; cluster: every live node reloads its own copy of the files, and the answer is {scope, ok, nodes: [{node, outcome}], unanswered: [{node, error}]} (docs/cluster.md)", false}},
       R"json({"type":"object","properties":{"channel":{"type":"string","description":"redeploy only this channel, from its file (default: the whole folder, changed channels only)"}}})json",
       kReloadOutcomeSchema,
       "application/json",
       {400, 503}});

  routes.add(
      "GET", "/api/reload", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        if (!context.reloads) return json_error(503, "hot reload is not running in this engine");
        auto status = context.reloads->status();
        boost::json::object body{{"running", status.running}, {"queued", status.queued}};
        body["last"] = status.last ? boost::json::value(reload_outcome_json(*status.last)) : boost::json::value();
        return json_ok(boost::json::serialize(body));
      },
      {"Whether a reload is running or queued, and the last reload's outcome (null before the first)",
       "reload",
       {},
       "",
       std::string(R"({"type":"object","properties":{"running":{"type":"boolean"},"queued":{"type":"boolean"},"last":)") +
           kReloadOutcomeSchema + "}}",
       "application/json",
       {503}});
}

}  // namespace artery::admin
