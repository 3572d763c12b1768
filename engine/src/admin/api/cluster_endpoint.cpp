// GET /api/cluster: the cluster view (docs/cluster.md) as this node holds
// it: every node heard of, when it was last heard of, and each node's
// channels with state, counters and the version it runs.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/cluster_json.hpp"
#include "cluster/cluster_view.hpp"
#include "config/engine_config.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

constexpr const char* kCounters = R"({"$ref":"#/components/schemas/Counters"})";

std::string cluster_schema() {
  return std::string(R"json({"type":"object","properties":{
"clustered":{"type":"boolean","description":"false: this engine has no cluster: in artery.yaml, or its view is off"},
"node":{"type":"string","description":"the node answering"},
"problem":{"type":"string","description":"with clustered false and cluster: configured: why the view is off"},
"nodes":{"type":"array","items":{"type":"object","properties":{
"node":{"type":"string"},"self":{"type":"boolean"},
"gone":{"type":"boolean","description":"not heard of for more than 5 s"},
"last_seen":{"type":"integer","description":"Unix ms (the answering node's clock)"},
"age_ms":{"type":"integer"},"started":{"type":"integer","description":"Unix ms, the node's engine start"},
"channels":{"type":"array","items":{"type":"object","properties":{
"name":{"type":"string"},"state":{"type":"string"},"reason":{"type":"string"},"clustered":{"type":"boolean"},
"version":{"type":"string","description":"fingerprint of the channel's YAML and scripts as deployed"},
"counters":)json") + kCounters + "}}}}}}}}";
}

}  // namespace

void register_cluster(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/cluster", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        if (!context.cluster) {
          boost::json::object body{{"clustered", false}, {"nodes", boost::json::array()}};
          if (context.config.cluster)
            body["problem"] = "the cluster view is off on this node; its log says why (cluster: ...)";
          return json_ok(boost::json::serialize(body));
        }
        return json_ok(boost::json::serialize(cluster_json(context.cluster->node(), context.cluster->nodes())));
      },
      {"The cluster's nodes as this node sees them: last seen, and each node's channels with state, counters and "
       "version",
       "cluster", {}, "", cluster_schema(), "application/json", {}});
}

}  // namespace artery::admin
