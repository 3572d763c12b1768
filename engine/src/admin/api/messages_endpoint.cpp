// GET /api/messages (search, newest first, paged by id, never loading
// content) and GET /api/messages/{id} (the whole record; content only for
// operators and admins, and every such view goes to the audit log).
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "admin/message_json.hpp"
#include "admin/time_text.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace artery::admin {
namespace {

std::optional<std::int64_t> integer(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The query string as a MessageQuery; the problem in words when a value is bad.
std::optional<MessageQuery> read_query(const HttpRequest& request, std::string& problem) {
  MessageQuery query;
  query.limit = 50;
  for (const auto& [key, value] : request.query) {
    if (value.empty()) continue;
    if (key == "channel") {
      query.channel = value;
    } else if (key == "status" || key == "state") {
      query.state = message_state_from(value);
      if (!query.state) problem = "unknown status '" + value + "' (RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT, ERROR)";
    } else if (key == "q") {
      query.text = value;
    } else if (key == "since") {
      auto at = parse_time_or_age(value);
      if (!at) problem = "since: '" + value + "' is neither a time (2026-12-01T10:00:00Z, epoch ms) nor an age (15m, 2h, 7d)";
      else query.since_ms = *at;
    } else if (key == "before") {
      auto id = integer(value);
      if (!id || *id <= 0) problem = "before: '" + value + "' is not a message id";
      else query.before_id = *id;
    } else if (key == "limit") {
      auto n = integer(value);
      if (!n || *n < 1 || *n > 500) problem = "limit: '" + value + "' is not a number from 1 to 500";
      else query.limit = static_cast<int>(*n);
    } else if (key == "origin") {
      auto id = integer(value);
      if (!id || *id <= 0) problem = "origin: '" + value + "' is not a message id";
      else query.origin_message_id = *id;
    }
    if (!problem.empty()) return std::nullopt;
  }
  return query;
}

}  // namespace

void register_messages(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/messages", Access::at_least(Role::viewer),
      [&context](const HttpRequest& request, const Principal&) {
        std::string problem;
        auto query = read_query(request, problem);
        if (!query) return json_error(400, problem);
        // One more than asked tells whether there is a next page.
        const int asked = query->limit;
        query->limit = asked + 1;
        auto found = context.store.search(*query);
        const bool more = static_cast<int>(found.size()) > asked;
        if (more) found.resize(static_cast<std::size_t>(asked));
        boost::json::array list;
        for (const auto& m : found) list.push_back(message_summary_json(m));
        boost::json::object body{{"messages", std::move(list)}, {"more", more}};
        if (more) body["next_before"] = found.back().id;
        return json_ok(boost::json::serialize(body));
      },
      {"Searches stored messages, newest first, without their content",
       "messages",
       {{"channel", "query", "string", "only this channel", false},
        {"status", "query", "string", "RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT or ERROR", false},
        {"q", "query", "string", "words in the content, or a control id / patient id / message type", false},
        {"since", "query", "string", "an ISO 8601 time, epoch milliseconds, or an age such as 15m, 2h, 7d", false},
        {"before", "query", "integer", "paging: messages with a smaller id (the previous page's next_before)", false},
        {"limit", "query", "integer", "1 to 500, default 50", false},
        {"origin", "query", "integer", "only messages routed or reprocessed from this one", false}},
       "",
       R"({"type":"object","properties":{"messages":{"type":"array","items":{"$ref":"#/components/schemas/MessageSummary"}},"more":{"type":"boolean"},"next_before":{"type":"integer"}}})",
       "application/json",
       {400}});

  routes.add(
      "GET", "/api/messages/{id}", Access::at_least(Role::viewer),
      [&context](const HttpRequest& request, const Principal& who) {
        auto id = integer(request.param("id"));
        if (!id) return json_error(400, "'" + request.param("id") + "' is not a message id");
        auto message = context.store.get(*id);
        if (!message) return json_error(404, "no message " + request.param("id"));
        const bool content = allows(who.role, Role::operator_);
        if (content) audit(context, request, who, {"message.view", message->channel, *id, true, {}});
        return json_ok(boost::json::serialize(message_detail_json(*message, content)));
      },
      {"One message: metadata, deliveries, and for operators its raw, transformed and sent content, responses and "
       "errors (each view is audited)",
       "messages",
       {{"id", "path", "integer", "the message id", true}},
       "",
       R"({"$ref":"#/components/schemas/Message"})",
       "application/json",
       {400, 404}});
}

}  // namespace artery::admin
