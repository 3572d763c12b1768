// GET /api/messages (search, newest first, paged by id, never loading
// content) and GET /api/messages/{id} (the whole record; content only for
// operators and admins, and every such view goes to the audit log).
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/cluster_search.hpp"
#include "admin/message_json.hpp"
#include "admin/message_query.hpp"
#include "cluster/cluster_view.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_messages(AdminRoutes& routes, AdminContext& context) {
  serve_cluster_messages(context);  // with the cluster view: answer the other nodes' searches too
  routes.add(
      "GET", "/api/messages", Access::at_least(Role::viewer),
      [&context](const HttpRequest& request, const Principal& who) {
        const auto scope = request.query_param("scope").value_or("");
        if (scope == "cluster") return cluster_search(context, request, who);
        if (!scope.empty() && scope != "node")
          return json_error(400, "scope: '" + scope + "' is neither node (this node, the default) nor cluster");
        std::string problem;
        auto query = read_message_query(request.query, problem);
        if (!query) return json_error(400, problem);
        query->with_content = false;  // a listing never reads message content
        MessagePage page;
        try {
          page = context.store.search_page(*query);
        } catch (const std::invalid_argument& e) {
          return json_error(400, e.what());
        }
        boost::json::array list;
        for (const auto& m : page.messages) {
          auto one = message_summary_json(m);
          one["bytes"] = m.raw_bytes;
          list.push_back(std::move(one));
        }
        boost::json::object body{{"messages", std::move(list)},
                                 {"more", page.has_more},
                                 // Free text finds what the indexer has reached (docs/operations.md).
                                 {"indexed_through", page.indexed_through}};
        if (page.has_more) body["next_before"] = page.messages.back().id;
        return json_ok(boost::json::serialize(body));
      },
      {"Searches stored messages, newest first, without their content",
       "messages",
       {{"channel", "query", "string", "only this channel", false},
        {"status", "query", "string", "RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT or ERROR; several with commas", false},
        {"q", "query", "string", "words in the content: each must occur as a whole word (case-insensitive)", false},
        {"control_id", "query", "string", "exactly this control id (MSH-10)", false},
        {"patient_id", "query", "string", "exactly this patient id", false},
        {"message_type", "query", "string", "exactly this message type (ORU^R01)", false},
        {"since", "query", "string", "received at or after: an ISO 8601 time, epoch milliseconds, or an age such as 15m, 2h, 7d", false},
        {"until", "query", "string", "received before: the same forms as since", false},
        {"before", "query", "integer", "paging: messages with a smaller id (the previous page's next_before)", false},
        {"limit", "query", "integer", "1 to 500, default 50", false},
        {"origin", "query", "integer", "only messages routed or reprocessed from this one", false},
        {"scope", "query", "string", "node (default): this node's messages; cluster: every node's, merged newest first (docs/cluster.md)", false},
        {"cursor", "query", "string", "with scope=cluster, paging: the previous page's next_cursor", false},
        {"timeout", "query", "integer", "with scope=cluster: milliseconds to wait for the other nodes (100 to 30000, default 3000)", false}},
       "",
       R"({"type":"object","properties":{"messages":{"type":"array","items":{"$ref":"#/components/schemas/MessageSummary"}},"more":{"type":"boolean"},"next_before":{"type":"integer"},"indexed_through":{"type":"integer","description":"the newest message id free-text search covers"},)"
       R"("scope":{"type":"string","description":"cluster, with scope=cluster"},"next_cursor":{"type":"string","description":"scope=cluster: where the next page starts on each node"},)"
       R"("nodes":{"type":"array","description":"scope=cluster: the nodes that answered","items":{"type":"object","properties":{"node":{"type":"string"},"messages":{"type":"integer"},"indexed_through":{"type":"integer"}}}},)"
       R"("unanswered":{"type":"array","description":"scope=cluster: the nodes that did not answer in time, and why","items":{"type":"object","properties":{"node":{"type":"string"},"error":{"type":"string"}}}}}})",
       "application/json",
       {400}});

  routes.add(
      "GET", "/api/messages/{id}", Access::at_least(Role::viewer),
      [&context](const HttpRequest& request, const Principal& who) {
        auto id = message_id_from(request.param("id"));
        if (!id) return json_error(400, "'" + request.param("id") + "' is not a message id");
        const auto node = request.query_param("node").value_or("");
        if (!node.empty() && !(context.cluster && node == context.cluster->node()))
          return cluster_message(context, request, who, node, *id);
        auto message = context.store.get(*id);
        if (!message) return json_error(404, "no message " + request.param("id"));
        const bool content = allows(who.role, Role::operator_);
        if (content) audit(context, request, who, {"message.view", message->channel, *id, true, {}});
        return json_ok(boost::json::serialize(message_detail_json(*message, content)));
      },
      {"One message: metadata, deliveries, and for operators its raw, transformed and sent content, responses and "
       "errors (each view is audited)",
       "messages",
       {{"id", "path", "integer", "the message id", true},
        {"node", "query", "string", "the node the message is on (a scope=cluster search says); default this node", false}},
       "",
       R"({"$ref":"#/components/schemas/Message"})",
       "application/json",
       {400, 404, 502, 504}});
}

}  // namespace artery::admin
