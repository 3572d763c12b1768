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
      // One state, or several separated by commas: status=QUEUED,ERROR.
      for (std::size_t at = 0; at <= value.size();) {
        const auto comma = std::min(value.find(',', at), value.size());
        const std::string one = value.substr(at, comma - at);
        auto state = message_state_from(one);
        if (!state) {
          problem = "unknown status '" + one + "' (RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT, ERROR)";
          break;
        }
        query.states.push_back(*state);
        at = comma + 1;
      }
    } else if (key == "q") {
      query.text = value;
    } else if (key == "control_id") {
      query.control_id = value;
    } else if (key == "patient_id") {
      query.patient_id = value;
    } else if (key == "message_type") {
      query.message_type = value;
    } else if (key == "since" || key == "until") {
      auto at = parse_time_or_age(value);
      if (!at) problem = key + ": '" + value + "' is neither a time (2026-12-01T10:00:00Z, epoch ms) nor an age (15m, 2h, 7d)";
      else (key == "since" ? query.since_ms : query.until_ms) = *at;
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
        {"origin", "query", "integer", "only messages routed or reprocessed from this one", false}},
       "",
       R"({"type":"object","properties":{"messages":{"type":"array","items":{"$ref":"#/components/schemas/MessageSummary"}},"more":{"type":"boolean"},"next_before":{"type":"integer"},"indexed_through":{"type":"integer","description":"the newest message id free-text search covers"}}})",
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
