#include "admin/cluster_reload.hpp"

#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/audit_trail.hpp"
#include "admin/reload_json.hpp"
#include "cluster/cluster_view.hpp"
#include "log/logger.hpp"
#include "reload/reload_coordinator.hpp"
#include "store/audit_log.hpp"

#include "json/json_fields.hpp"

#include <boost/json.hpp>

#include <future>

namespace artery::admin {
namespace {

// A reload redeploys channels one after another; give a node that long.
constexpr std::chrono::seconds kReloadWithin{60};

// This node's reload, for its own API or for another node's request.
boost::json::object reload_here(AdminContext& context, const std::string& channel, const std::string& trigger) {
  ReloadRequest reload;
  if (channel.empty()) reload.folder = true;
  else reload.channels.insert(channel);
  reload.triggers.push_back(trigger);
  return reload_outcome_json(context.reloads->run(std::move(reload)));
}

}  // namespace

void serve_cluster_reload(AdminContext& context) {
  if (!context.cluster || !context.reloads) return;
  std::string error;
  auto responder = context.cluster->serve(
      "reload",
      [&context](const std::string& request) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(request, ec);
        if (ec || !parsed.is_object())
          return boost::json::serialize(boost::json::object{{"error", "not a reload request"}});
        const auto& o = parsed.as_object();
        const std::string channel = json_fields::text(o, "channel");
        const std::string user = json_fields::text(o, "user"), from = json_fields::text(o, "from");
        auto outcome = reload_here(context, channel,
                                   "POST /api/reload?scope=cluster by " + user + " on node " + from +
                                       (channel.empty() ? "" : " (channel " + channel + ")"));
        AuditEntry entry;
        entry.user = user;
        entry.action = "reload";
        entry.channel = channel;
        entry.address = "cluster node " + from;
        entry.ok = outcome.at("ok").as_bool();
        entry.detail = "asked by node " + from + " for the cluster";
        context.audit.record(std::move(entry));
        return boost::json::serialize(boost::json::object{{"outcome", std::move(outcome)}});
      },
      error);
  if (!responder) logger::error("cluster", "this node does not answer the other nodes' reloads: " + error);
  else context.cluster_responders.push_back(std::move(responder));
}

HttpResponse cluster_reload(AdminContext& context, const HttpRequest& request, const Principal& who,
                            const std::string& channel) {
  if (!context.cluster)
    return json_error(400, "scope=cluster needs the cluster view: this engine has no cluster: in artery.yaml, or "
                           "its view is off (see its log)");
  ClusterView& view = *context.cluster;
  const std::string by = who.user.empty() ? std::string("an anonymous caller") : who.user;
  const std::string body = boost::json::serialize(
      boost::json::object{{"channel", channel}, {"user", by}, {"from", view.node()}});
  struct Asked {
    std::string node;
    bool gone = false;
    std::future<std::optional<std::string>> answer;
    std::string error;
  };
  std::vector<Asked> asked;
  for (const auto& node : view.nodes()) {
    if (node.self) continue;
    Asked one;
    one.node = node.node;
    one.gone = node.gone;
    if (!node.gone)
      one.answer = std::async(std::launch::async, [&view, name = node.node, body] {
        std::string error;
        auto answer = view.ask(name, "reload", body, kReloadWithin, error);
        if (!answer) return std::optional<std::string>(boost::json::serialize(boost::json::object{{"error", error}}));
        return answer;
      });
    asked.push_back(std::move(one));
  }
  // This node's own reload runs meanwhile, on this thread.
  boost::json::array nodes;
  auto own = reload_here(context, channel,
                         "POST /api/reload?scope=cluster by " + by + (channel.empty() ? "" : " (channel " + channel + ")"));
  bool ok = own.at("ok").as_bool();
  nodes.push_back(boost::json::object{{"node", view.node()}, {"outcome", std::move(own)}});
  boost::json::array unanswered;
  for (auto& one : asked) {
    if (one.gone) {
      unanswered.push_back(boost::json::object{{"node", one.node}, {"error", "gone: not heard of for more than 5 s"}});
      ok = false;
      continue;
    }
    auto answer = one.answer.get();
    boost::system::error_code ec;
    auto parsed = boost::json::parse(answer.value_or(""), ec);
    const boost::json::value* outcome =
        !ec && parsed.is_object() ? parsed.as_object().if_contains("outcome") : nullptr;
    if (!outcome || !outcome->is_object()) {
      const std::string why = !ec && parsed.is_object() ? json_fields::text(parsed.as_object(), "error") : "an answer that is not JSON";
      unanswered.push_back(boost::json::object{{"node", one.node}, {"error", why}});
      ok = false;
      continue;
    }
    const auto* node_ok = outcome->as_object().if_contains("ok");
    ok = ok && node_ok && node_ok->is_bool() && node_ok->as_bool();
    nodes.push_back(boost::json::object{{"node", one.node}, {"outcome", *outcome}});
  }
  audit(context, request, who,
        {"reload", channel, 0, ok,
         "for the cluster: " + std::to_string(nodes.size()) + " nodes reloaded, " +
             std::to_string(unanswered.size()) + " did not answer"});
  return json_ok(boost::json::serialize(boost::json::object{
      {"scope", "cluster"}, {"ok", ok}, {"nodes", std::move(nodes)}, {"unanswered", std::move(unanswered)}}));
}

}  // namespace artery::admin
