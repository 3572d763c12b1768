// GET /api/audit: the audit log, newest first. Read-only: the API has no way
// to change or remove an entry. Admins only (it names users and addresses).
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/time_text.hpp"
#include "store/audit_log.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_audit(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/audit", Access::at_least(Role::admin),
      [&context](const HttpRequest& request, const Principal&) {
        AuditQuery query;
        query.limit = 100;
        if (auto v = request.query_param("user")) query.user = *v;
        if (auto v = request.query_param("action")) query.action = *v;
        if (auto v = request.query_param("channel")) query.channel = *v;
        if (auto v = request.query_param("since"); v && !v->empty()) {
          auto at = parse_time_or_age(*v);
          if (!at) return json_error(400, "since: '" + *v + "' is neither a time nor an age (15m, 2h, 7d)");
          query.since_ms = *at;
        }
        try {
          if (auto v = request.query_param("before"); v && !v->empty()) query.before_id = std::stoll(*v);
          if (auto v = request.query_param("limit"); v && !v->empty()) query.limit = std::stoi(*v);
        } catch (const std::exception&) {
          return json_error(400, "before and limit must be numbers");
        }
        if (query.limit < 1 || query.limit > 1000) return json_error(400, "limit must be from 1 to 1000");
        boost::json::array list;
        for (const auto& e : context.audit.list(query))
          list.push_back(boost::json::object{{"id", e.id},
                                             {"at_ms", e.at_ms},
                                             {"user", e.user},
                                             {"action", e.action},
                                             {"channel", e.channel},
                                             {"message_id", e.message_id},
                                             {"address", e.address},
                                             {"ok", e.ok},
                                             {"detail", e.detail}});
        return json_ok(boost::json::serialize(boost::json::object{{"entries", std::move(list)}}));
      },
      {"The audit log, newest first: logins, admin actions, views of message content", "audit",
       {{"user", "query", "string", "only this user", false},
        {"action", "query", "string", "an action, or a prefix ending in '.' (channel.)", false},
        {"channel", "query", "string", "only this channel", false},
        {"since", "query", "string", "a time or an age (15m, 2h, 7d)", false},
        {"before", "query", "integer", "paging: entries with a smaller id", false},
        {"limit", "query", "integer", "1 to 1000, default 100", false}},
       "",
       R"({"type":"object","properties":{"entries":{"type":"array","items":{"type":"object","properties":{
"id":{"type":"integer"},"at_ms":{"type":"integer"},"user":{"type":"string"},"action":{"type":"string"},
"channel":{"type":"string"},"message_id":{"type":"integer"},"address":{"type":"string"},"ok":{"type":"boolean"},"detail":{"type":"string"}}}}}})",
       "application/json", {400}});
}

}  // namespace artery::admin
