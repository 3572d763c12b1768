#include "admin/cluster_json.hpp"

#include "admin/channel_json.hpp"
#include "cluster/cluster_view.hpp"

#include <boost/json.hpp>

#include <set>

namespace artery::admin {

boost::json::object cluster_json(const std::string& self, const std::vector<NodeView>& nodes) {
  boost::json::array list;
  for (const auto& node : nodes) {
    boost::json::array channels;
    for (const auto& c : node.channels)
      channels.push_back(boost::json::object{{"name", c.name},
                                             {"state", c.state},
                                             {"reason", c.reason},
                                             {"clustered", c.clustered},
                                             {"version", c.version},
                                             {"counters", counters_json(c.counters)}});
    list.push_back(boost::json::object{{"node", node.node},
                                       {"self", node.self},
                                       {"gone", node.gone},
                                       {"last_seen", node.last_seen_ms},
                                       {"age_ms", node.age_ms},
                                       {"started", node.started_ms},
                                       {"channels", std::move(channels)}});
  }
  return {{"clustered", true}, {"node", self}, {"nodes", std::move(list)}};
}

boost::json::object channel_cluster_json(const std::string& channel, const std::vector<NodeView>& nodes) {
  Counters totals;
  std::set<std::string> versions;
  boost::json::array per_node;
  bool clustered = false;
  for (const auto& node : nodes) {
    for (const auto& c : node.channels) {
      if (c.name != channel) continue;
      clustered = clustered || c.clustered;
      // A gone node's counts stay in the totals: what it received and sent
      // happened (its last snapshot; its queue is in its own store).
      totals.received += c.counters.received;
      totals.filtered += c.counters.filtered;
      totals.queued += c.counters.queued;
      totals.sent += c.counters.sent;
      totals.errored += c.counters.errored;
      if (!node.gone && !c.version.empty()) versions.insert(c.version);
      per_node.push_back(boost::json::object{{"node", node.node},
                                             {"self", node.self},
                                             {"gone", node.gone},
                                             {"last_seen", node.last_seen_ms},
                                             {"state", c.state},
                                             {"reason", c.reason},
                                             {"version", c.version},
                                             {"counters", counters_json(c.counters)}});
    }
  }
  if (!clustered) return {};
  boost::json::array version_list;
  for (const auto& v : versions) version_list.push_back(boost::json::value(v));
  return {{"totals", counters_json(totals)},
          {"versions", std::move(version_list)},
          {"same_version", versions.size() <= 1},
          {"nodes", std::move(per_node)}};
}

}  // namespace artery::admin
