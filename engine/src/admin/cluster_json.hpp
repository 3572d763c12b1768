// The cluster view (cluster/cluster_view.hpp) as the API shows it: the
// nodes of GET /api/cluster, and the `cluster` field GET /api/channels adds
// to a clustered channel (cluster-wide totals and each node's state).
#pragma once
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace artery {
struct NodeView;
}

namespace artery::admin {

// {"node": this node, "nodes": [{node, self, gone, last_seen, age_ms,
// started, channels: [{name, state, reason, clustered, version, counters}]}]}
boost::json::object cluster_json(const std::string& self, const std::vector<NodeView>& nodes);

// For one channel: {"totals": counters summed over the nodes (a gone node
// with its last snapshot), "versions": the distinct versions the live nodes
// run, "same_version", "nodes": [{node, gone,
// state, reason, version, counters, last_seen}]}. Null (an empty object)
// when no node reports the channel as clustered.
boost::json::object channel_cluster_json(const std::string& channel, const std::vector<NodeView>& nodes);

}  // namespace artery::admin
