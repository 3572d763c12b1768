// POST /api/messages/reprocess: many stored messages through their channels
// again, chosen by id or by a filter ({channel, status, since}), each as the
// single reprocess does it (message_reprocessing.hpp). Bounded: at most
// kMaxBulk a call, so an operator's typo cannot queue a million messages; a
// filter matching more is refused whole rather than half done, since running
// it again would pick the same originals once more.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/api/message_reprocessing.hpp"
#include "admin/time_text.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace artery::admin {
namespace {

constexpr int kMaxBulk = 10'000;

struct BulkRequest {
  std::vector<std::int64_t> ids;
  MessageQuery filter;
  bool by_filter = false;
};

std::optional<BulkRequest> read_request(const std::string& body, std::string& problem) {
  boost::system::error_code ec;
  auto json = boost::json::parse(body, ec);
  if (ec || !json.is_object()) {
    problem = "the body must be a JSON object: {\"ids\": [...]} or {\"channel\", \"status\", \"since\"}";
    return std::nullopt;
  }
  const auto& object = json.as_object();
  BulkRequest request;
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto* value = object.if_contains(key);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_string()) {
      problem = std::string(key) + " must be a string";
      return std::nullopt;
    }
    return std::string(value->as_string());
  };
  for (const auto& [key, value] : object) {
    if (key != "ids" && key != "channel" && key != "status" && key != "since") {
      problem = "unknown field '" + std::string(key) + "' (ids, channel, status, since)";
      return std::nullopt;
    }
  }
  if (auto* ids = object.if_contains("ids"); ids && !ids->is_null()) {
    if (!ids->is_array()) {
      problem = "ids must be an array of message ids";
      return std::nullopt;
    }
    for (const auto& id : ids->as_array()) {
      if (!id.is_int64() || id.as_int64() <= 0) {
        problem = "ids: " + boost::json::serialize(id) + " is not a message id";
        return std::nullopt;
      }
      request.ids.push_back(id.as_int64());
    }
    if (request.ids.empty()) problem = "ids is empty";
    if (request.ids.size() > static_cast<std::size_t>(kMaxBulk))
      problem = std::to_string(request.ids.size()) + " ids: at most " + std::to_string(kMaxBulk) + " per call";
  }
  auto channel = text("channel");
  auto status = text("status");
  auto since = text("since");
  if (!problem.empty()) return std::nullopt;
  request.by_filter = channel || status || since;
  if (request.by_filter && !request.ids.empty()) {
    problem = "give either ids or a filter (channel, status, since), not both";
    return std::nullopt;
  }
  if (!request.by_filter && request.ids.empty()) {
    problem = "give ids, or a filter with at least a channel";
    return std::nullopt;
  }
  if (request.by_filter) {
    // A whole store's worth by accident is too easy without a channel.
    if (!channel || channel->empty()) {
      problem = "a filter needs a channel";
      return std::nullopt;
    }
    request.filter.channel = *channel;
    if (status) {
      request.filter.state = message_state_from(*status);
      if (!request.filter.state) {
        problem = "unknown status '" + *status + "' (RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT, ERROR)";
        return std::nullopt;
      }
    }
    if (since) {
      auto at = parse_time_or_age(*since);
      if (!at) {
        problem = "since: '" + *since + "' is neither a time (2026-12-01T10:00:00Z, epoch ms) nor an age (15m, 2h, 7d)";
        return std::nullopt;
      }
      request.filter.since_ms = *at;
    }
    request.filter.limit = kMaxBulk + 1;  // one more tells that it is too many
  }
  return request;
}

}  // namespace

void register_bulk_reprocess(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/messages/reprocess", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        std::string problem;
        auto bulk = read_request(request.body, problem);
        if (!bulk) return json_error(400, problem);
        std::vector<MessageRecord> found;
        if (bulk->by_filter) {
          found = context.store.search(bulk->filter);
          if (found.size() > static_cast<std::size_t>(kMaxBulk))
            return json_error(400, "more than " + std::to_string(kMaxBulk) +
                                       " messages match; narrow the filter (a later since, a status)");
          std::reverse(found.begin(), found.end());  // oldest first, the order they first came in
        } else {
          std::sort(bulk->ids.begin(), bulk->ids.end());
          bulk->ids.erase(std::unique(bulk->ids.begin(), bulk->ids.end()), bulk->ids.end());
        }
        // All handed to their channels first, then waited for together: the
        // channels work on them in parallel rather than one round trip each.
        std::vector<StartedReprocess> started;
        if (bulk->by_filter)
          for (const auto& message : found) started.push_back(start_reprocess(context, message.id, &message));
        else
          for (auto id : bulk->ids) started.push_back(start_reprocess(context, id));
        found.clear();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        boost::json::array ids, failures;
        std::int64_t reprocessed = 0;
        for (auto& one : started) {
          auto result = finish_reprocess(context, request, who, one, deadline);
          if (result.refusal == 0) {
            ++reprocessed;
            ids.push_back(result.disposition.message_id);
          } else {
            failures.push_back(boost::json::object{{"id", result.original_id}, {"error", result.error}});
          }
        }
        boost::json::object body{{"reprocessed", reprocessed},
                                 {"failed", static_cast<std::int64_t>(failures.size())},
                                 {"ids", std::move(ids)},
                                 {"failures", std::move(failures)}};
        return json_ok(boost::json::serialize(body));
      },
      {"Runs many stored messages through their channels again (by ids, or by channel, status and since; at most "
       "10,000 a call), each as a new message linked to its original",
       "messages",
       {},
       R"({"type":"object","properties":{"ids":{"type":"array","items":{"type":"integer"},"maxItems":10000},"channel":{"type":"string"},"status":{"type":"string"},"since":{"type":"string","description":"an ISO 8601 time, epoch milliseconds, or an age such as 15m, 2h, 7d"}}})",
       R"({"type":"object","properties":{"reprocessed":{"type":"integer"},"failed":{"type":"integer"},"ids":{"type":"array","items":{"type":"integer"},"description":"the new messages"},"failures":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"error":{"type":"string"}}}}}})",
       "application/json",
       {400}});
}

}  // namespace artery::admin
