// artery.yaml's `cluster:` block: the NATS servers the nodes share and this
// node's name (docs/cluster.md). The engine core keeps the connection keys
// as written and never opens a NATS connection itself: clustered channels
// hand them to the nats plugin's connectors (cluster/clustered_channel.hpp),
// so an engine without `cluster:` needs neither nats.c nor a NATS server.
#pragma once
#include "config/map_fields.hpp"
#include "config/yaml_source.hpp"

#include <memory>
#include <string>

namespace artery {

struct ClusterSettings {
  std::string node;  // this engine's name in the cluster: lowercase letters, digits, '-'
  // The block without `node`: servers, authentication, TLS, timeouts, as the
  // nats plugin's connection options, with file paths made absolute.
  YAML::Node connection;
};

// Reads the block; null when it has errors (reported at their file:line:col).
std::shared_ptr<const ClusterSettings> read_cluster_settings(const config::MapEntry& entry,
                                                             config::YamlSource& source);

}  // namespace artery
