#include "admin/cluster_search.hpp"

#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/audit_trail.hpp"
#include "admin/message_json.hpp"
#include "admin/message_query.hpp"
#include "cluster/cluster_view.hpp"
#include "log/logger.hpp"
#include "store/audit_log.hpp"
#include "store/message_store.hpp"

#include "json/json_fields.hpp"

#include <boost/json.hpp>

#include <future>
#include <map>

namespace artery::admin {
namespace {

// How long a search waits for the other nodes by default, and at most.
constexpr std::chrono::milliseconds kDefaultTimeout{3000};
constexpr std::chrono::milliseconds kMaxTimeout{30000};

// The keys cluster_search reads itself; the rest are the search's own.
bool cluster_key(const std::string& key) {
  return key == "scope" || key == "cursor" || key == "timeout" || key == "before" || key == "node";
}

std::string error_json(int status, const std::string& message) {
  return boost::json::serialize(boost::json::object{{"error", message}, {"status", status}});
}

// One node's page of the search, as this node runs it for itself or for
// another: {"messages": [...], "more": bool, "indexed_through": n}.
std::string search_here(MessageStore& store, const std::vector<std::pair<std::string, std::string>>& params,
                        std::int64_t before, int limit) {
  std::string problem;
  auto query = read_message_query(params, problem);
  if (!query) return error_json(400, problem);
  query->before_id = before;
  query->limit = limit;
  query->with_content = false;  // a search never carries content, here or on the bus
  MessagePage page;
  try {
    page = store.search_page(*query);
  } catch (const std::invalid_argument& e) {
    return error_json(400, e.what());
  }
  boost::json::array list;
  for (const auto& m : page.messages) {
    auto one = message_summary_json(m);
    one["bytes"] = m.raw_bytes;
    list.push_back(std::move(one));
  }
  return boost::json::serialize(boost::json::object{
      {"messages", std::move(list)}, {"more", page.has_more}, {"indexed_through", page.indexed_through}});
}

// cursor=node1:123,node2:0,node3:- : where each node's next page starts
// (the id to search below; 0 its newest; '-' nothing left there).
struct Cursor {
  std::map<std::string, std::int64_t> before;  // -1: nothing left
};

std::optional<Cursor> read_cursor(const std::string& text, std::string& problem) {
  Cursor cursor;
  for (std::size_t at = 0; at < text.size();) {
    const auto comma = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, comma - at);
    const auto colon = part.find(':');
    if (colon == std::string::npos || colon == 0) {
      problem = "cursor: '" + part + "' is not node:id (use the previous page's next_cursor)";
      return std::nullopt;
    }
    const std::string value = part.substr(colon + 1);
    if (value == "-") {
      cursor.before[part.substr(0, colon)] = -1;
    } else {
      auto id = message_id_from(value);
      if (!id || *id < 0) {
        problem = "cursor: '" + part + "' is not node:id (use the previous page's next_cursor)";
        return std::nullopt;
      }
      cursor.before[part.substr(0, colon)] = *id;
    }
    at = comma + 1;
  }
  return cursor;
}

std::string cursor_text(const Cursor& cursor) {
  std::string out;
  for (const auto& [node, before] : cursor.before)
    out += (out.empty() ? "" : ",") + node + ":" + (before < 0 ? std::string("-") : std::to_string(before));
  return out;
}

// One node's answer to the search.
struct NodePage {
  std::string node;
  bool answered = false;
  std::string error;
  boost::json::array messages;  // newest first, as that node's store orders them
  bool more = false;
  std::int64_t indexed_through = 0;
};

}  // namespace

void serve_cluster_messages(AdminContext& context) {
  if (!context.cluster) return;
  ClusterView& view = *context.cluster;
  std::string error;
  auto search = view.serve(
      "search",
      [&context](const std::string& request) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(request, ec);
        if (ec || !parsed.is_object()) return error_json(400, "not a search request");
        const auto& o = parsed.as_object();
        std::vector<std::pair<std::string, std::string>> params;
        if (const auto* list = o.if_contains("params"); list && list->is_array())
          for (const auto& pair : list->as_array())
            if (pair.is_array() && pair.as_array().size() == 2 && pair.as_array()[0].is_string() &&
                pair.as_array()[1].is_string())
              params.emplace_back(std::string(pair.as_array()[0].as_string()),
                                  std::string(pair.as_array()[1].as_string()));
        const std::int64_t limit = json_fields::integer(o, "limit");
        if (limit < 1 || limit > 500) return error_json(400, "limit: not from 1 to 500");
        return search_here(context.store, params, std::max<std::int64_t>(json_fields::integer(o, "before"), 0),
                           static_cast<int>(limit));
      },
      error);
  if (!search) logger::error("cluster", "this node does not answer the other nodes' message searches: " + error);
  else context.cluster_responders.push_back(std::move(search));

  auto detail = view.serve(
      "message",
      [&context](const std::string& request) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(request, ec);
        if (ec || !parsed.is_object()) return error_json(400, "not a message request");
        const auto& o = parsed.as_object();
        const std::int64_t id = json_fields::integer(o, "id");
        auto message = context.store.get(id);
        if (!message) return error_json(404, "no message " + std::to_string(id) + " on node " + context.cluster->node());
        const auto* content_flag = o.if_contains("content");
        const bool content = content_flag && content_flag->is_bool() && content_flag->as_bool();
        if (content) {
          // This node's record of who read its message, as well as the asking node's.
          AuditEntry entry;
          entry.user = json_fields::text(o, "user");
          entry.action = "message.view";
          entry.channel = message->channel;
          entry.message_id = id;
          entry.address = "cluster node " + json_fields::text(o, "from");
          entry.detail = "through the cluster view of node " + json_fields::text(o, "from");
          context.audit.record(std::move(entry));
        }
        return boost::json::serialize(boost::json::object{{"message", message_detail_json(*message, content)}});
      },
      error);
  if (!detail) logger::error("cluster", "this node does not answer the other nodes' message reads: " + error);
  else context.cluster_responders.push_back(std::move(detail));
}

HttpResponse cluster_search(AdminContext& context, const HttpRequest& request, const Principal& who) {
  if (!context.cluster)
    return json_error(400, "scope=cluster needs the cluster view: this engine has no cluster: in artery.yaml, or "
                           "its view is off (see its log)");
  ClusterView& view = *context.cluster;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& pair : request.query)
    if (!cluster_key(pair.first)) params.push_back(pair);
  // The search's own parameters are checked here first: a bad one is one
  // 400 from this node, not one error per node.
  std::string problem;
  auto query = read_message_query(params, problem);
  if (!query) return json_error(400, problem);
  if (request.query_param("before"))
    return json_error(400, "before: ids are per node; with scope=cluster page with cursor (the previous page's "
                           "next_cursor)");
  std::chrono::milliseconds timeout = kDefaultTimeout;
  if (auto text = request.query_param("timeout"); text && !text->empty()) {
    auto ms = message_id_from(*text);
    if (!ms || *ms < 100 || *ms > kMaxTimeout.count())
      return json_error(400, "timeout: '" + *text + "' is not a number of milliseconds from 100 to 30000");
    timeout = std::chrono::milliseconds(*ms);
  }
  const auto nodes = view.nodes();
  Cursor cursor;
  const auto cursor_param = request.query_param("cursor");
  if (cursor_param && !cursor_param->empty()) {
    auto read = read_cursor(*cursor_param, problem);
    if (!read) return json_error(400, problem);
    cursor = std::move(*read);  // only the nodes of the first page: a node that joined since is not mixed in
  } else {
    for (const auto& node : nodes) cursor.before[node.node] = 0;
  }

  // Every node with something left, at once: this one from its own store,
  // the others over the bus. A node known to be gone is not waited for.
  std::map<std::string, bool> gone;
  for (const auto& node : nodes) gone[node.node] = node.gone;
  boost::json::array wire_params;
  for (const auto& [key, value] : params) wire_params.push_back(boost::json::array{boost::json::value(key), boost::json::value(value)});
  std::vector<NodePage> pages;
  std::vector<std::future<std::optional<std::string>>> answers;
  for (const auto& [node, before] : cursor.before) {
    if (before < 0) continue;
    NodePage page;
    page.node = node;
    pages.push_back(std::move(page));
    if (node == view.node()) {
      answers.push_back(std::async(std::launch::deferred, [&context, &params, before = before, limit = query->limit] {
        return std::optional<std::string>(search_here(context.store, params, before, limit));
      }));
    } else if (gone.count(node) && gone[node]) {
      answers.push_back(std::async(std::launch::deferred, [] { return std::optional<std::string>(); }));
    } else {
      const std::string body = boost::json::serialize(boost::json::object{
          {"params", wire_params}, {"before", before}, {"limit", query->limit}, {"user", who.user},
          {"from", view.node()}});
      answers.push_back(std::async(std::launch::async, [&view, node = node, body, timeout] {
        std::string error;
        auto answer = view.ask(node, "search", body, timeout, error);
        if (!answer) return std::optional<std::string>(boost::json::serialize(boost::json::object{{"error", error}}));
        return answer;
      }));
    }
  }
  for (std::size_t i = 0; i < pages.size(); ++i) {
    NodePage& page = pages[i];
    auto answer = answers[i].get();
    if (!answer) {
      page.error = "gone: not heard of for more than 5 s";
      continue;
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(*answer, ec);
    if (ec || !parsed.is_object()) {
      page.error = "an answer that is not JSON";
      continue;
    }
    auto& o = parsed.as_object();
    if (o.contains("error")) {
      page.error = json_fields::text(o, "error");
      continue;
    }
    page.answered = true;
    if (auto* list = o.if_contains("messages"); list && list->is_array()) page.messages = std::move(list->as_array());
    const auto* more = o.if_contains("more");
    page.more = more && more->is_bool() && more->as_bool();
    page.indexed_through = json_fields::integer(o, "indexed_through");
  }

  // Newest first across the nodes, each node's own order kept (its ids go
  // down), so each node's cursor is simply the last of its messages taken.
  boost::json::array merged;
  std::vector<std::size_t> taken(pages.size(), 0);
  while (merged.size() < static_cast<std::size_t>(query->limit)) {
    std::optional<std::size_t> best;
    std::int64_t best_at = 0;
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (taken[i] >= pages[i].messages.size() || !pages[i].messages[taken[i]].is_object()) continue;
      const std::int64_t at = json_fields::integer(pages[i].messages[taken[i]].as_object(), "received_at_ms");
      if (!best || at > best_at) {
        best = i;
        best_at = at;
      }
    }
    if (!best) break;
    boost::json::object one = pages[*best].messages[taken[*best]].as_object();
    one["node"] = pages[*best].node;
    cursor.before[pages[*best].node] = json_fields::integer(one, "id");
    merged.push_back(std::move(one));
    ++taken[*best];
  }
  boost::json::array answered, unanswered;
  bool more = false;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const NodePage& page = pages[i];
    if (!page.answered) {
      more = true;  // its cursor stays: the next page asks it again from where it was
      unanswered.push_back(boost::json::object{{"node", page.node}, {"error", page.error}});
      continue;
    }
    const bool left = taken[i] < page.messages.size() || page.more;
    if (!left) cursor.before[page.node] = -1;
    more = more || left;
    answered.push_back(boost::json::object{
        {"node", page.node}, {"messages", taken[i]}, {"indexed_through", page.indexed_through}});
  }
  boost::json::object body{{"scope", "cluster"},
                           {"messages", std::move(merged)},
                           {"more", more},
                           {"nodes", std::move(answered)},
                           {"unanswered", std::move(unanswered)}};
  if (more) body["next_cursor"] = cursor_text(cursor);
  return json_ok(boost::json::serialize(body));
}

HttpResponse cluster_message(AdminContext& context, const HttpRequest& request, const Principal& who,
                             const std::string& node, std::int64_t id) {
  if (!context.cluster)
    return json_error(400, "node=" + node + " needs the cluster view: this engine has no cluster: in artery.yaml, "
                           "or its view is off (see its log)");
  const bool content = allows(who.role, Role::operator_);
  const std::string body = boost::json::serialize(boost::json::object{
      {"id", id}, {"content", content}, {"user", who.user}, {"from", context.cluster->node()}});
  std::string error;
  auto answer = context.cluster->ask(node, "message", body, kDefaultTimeout, error);
  if (!answer) return json_error(504, "node " + node + " did not answer: " + error);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(*answer, ec);
  if (ec || !parsed.is_object()) return json_error(502, "node " + node + " answered something that is not JSON");
  auto& o = parsed.as_object();
  if (o.contains("error")) {
    const std::int64_t status = json_fields::integer(o, "status");
    return json_error(status == 404 || status == 400 ? static_cast<int>(status) : 502, json_fields::text(o, "error"));
  }
  auto* message = o.if_contains("message");
  if (!message || !message->is_object()) return json_error(502, "node " + node + " answered without the message");
  auto& detail = message->as_object();
  detail["node"] = node;
  if (content)
    audit(context, request, who, {"message.view", json_fields::text(detail, "channel"), id, true, "on node " + node});
  return json_ok(boost::json::serialize(detail));
}

}  // namespace artery::admin
