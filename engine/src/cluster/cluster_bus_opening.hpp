// Opening the cluster bus (artery/cluster_bus.hpp) from the nats plugin's
// optional export, for an engine with `cluster:` in artery.yaml. The core
// never links a NATS client: it finds artery_cluster_bus_v1 in the loaded
// nats library, checks the `cluster:` block against the connection keys the
// plugin declares, and opens the bus through it.
#pragma once
#include <artery/cluster_bus.hpp>

#include <memory>
#include <string>

namespace artery {

class PluginRegistry;
struct ClusterSettings;

// The bus, holding the plugin library loaded for as long as it lives (its
// code is the library's). Null with `error` saying plainly why: the nats
// plugin is not in the plugins folder, it is a build without the bus
// export, the block does not check, or the settings are refused.
std::shared_ptr<ClusterBus> open_cluster_bus(const PluginRegistry& plugins, const ClusterSettings& cluster,
                                             std::string& error);

}  // namespace artery
