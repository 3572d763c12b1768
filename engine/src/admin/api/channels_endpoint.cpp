// GET /api/channels and GET /api/channels/{name}: every channel's state and
// counters from the sampler's latest snapshot (one registry pass a second,
// whatever the number of dashboards), one channel fresh from the registry.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/channel_json.hpp"
#include "admin/cluster_json.hpp"
#include "admin/stats_sampler.hpp"
#include "cluster/cluster_view.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

constexpr const char* kChannelSchema = R"({"type":"object","properties":{
"name":{"type":"string"},"description":{"type":"string"},"file":{"type":"string"},"source":{"type":"string"},
"state":{"type":"string","enum":["started","paused","stopped","failed","starting","stopping"]},
"reason":{"type":"string"},"counters":{"$ref":"#/components/schemas/Counters"},
"rates":{"type":"object","properties":{"received_per_second":{"type":"number"},"sent_per_second":{"type":"number"},"errored_per_second":{"type":"number"}}},
"destinations":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"type":{"type":"string"},"counters":{"$ref":"#/components/schemas/Counters"}}}},
"last_reload":{"type":"object","nullable":true,"properties":{"at":{"type":"integer","description":"Unix ms"},"ok":{"type":"boolean"},"error":{"type":"string","description":"file:line:col: message, one a line"}}},
"connectors":{"type":"array","items":{"type":"object"}},
"cluster":{"type":"object","description":"clustered channels only, with the cluster view on: every node's part","properties":{
"totals":{"$ref":"#/components/schemas/Counters"},"versions":{"type":"array","items":{"type":"string"}},
"same_version":{"type":"boolean"},
"nodes":{"type":"array","items":{"type":"object","properties":{"node":{"type":"string"},"self":{"type":"boolean"},
"gone":{"type":"boolean"},"last_seen":{"type":"integer"},"state":{"type":"string"},"reason":{"type":"string"},
"version":{"type":"string"},"counters":{"$ref":"#/components/schemas/Counters"}}}}}}}})";

// A clustered channel's cluster-wide part, when the view is on.
void add_cluster(boost::json::object& json, const std::string& channel, const std::vector<NodeView>& nodes) {
  auto cluster = channel_cluster_json(channel, nodes);
  if (!cluster.empty()) json["cluster"] = std::move(cluster);
}

boost::json::object rates_json(const ChannelRates& r) {
  return {{"received_per_second", r.received_per_second},
          {"sent_per_second", r.sent_per_second},
          {"errored_per_second", r.errored_per_second}};
}

}  // namespace

void register_channels(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/channels", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        auto rates = context.stats.rates(std::chrono::seconds(10));
        auto latest = context.stats.latest();
        // Fresh when the sampler has not run yet; otherwise at most a second old.
        auto channels = latest ? latest->channels : context.channels.snapshot();
        const auto nodes = context.cluster ? context.cluster->nodes() : std::vector<NodeView>{};
        boost::json::array list;
        for (const auto& channel : channels) {
          auto json = channel_json(channel, false);
          json["rates"] = rates_json(rates[channel.name]);
          add_cluster(json, channel.name, nodes);
          list.push_back(std::move(json));
        }
        boost::json::object body{{"channels", std::move(list)},
                                 {"sampled_at_ms", latest ? latest->at_ms : 0}};
        return json_ok(boost::json::serialize(body));
      },
      {"Every channel with its state, counters and recent rates", "channels", {}, "",
       R"({"type":"object","properties":{"channels":{"type":"array","items":)" + std::string(kChannelSchema) +
           R"(},"sampled_at_ms":{"type":"integer"}}})",
       "application/json", {}});

  routes.add(
      "GET", "/api/channels/{name}", Access::at_least(Role::viewer),
      [&context](const HttpRequest& request, const Principal&) {
        auto channel = context.channels.snapshot(request.param("name"));
        if (!channel) return json_error(404, "no channel named '" + request.param("name") + "'");
        auto json = channel_json(*channel, true);
        json["rates"] = rates_json(context.stats.rates(std::chrono::seconds(10))[channel->name]);
        if (context.cluster) add_cluster(json, channel->name, context.cluster->nodes());
        return json_ok(boost::json::serialize(json));
      },
      {"One channel: state, counters per destination, connector counters", "channels",
       {{"name", "path", "string", "the channel's name", true}}, "", kChannelSchema, "application/json", {404}});
}

}  // namespace artery::admin
