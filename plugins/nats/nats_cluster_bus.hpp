// The cluster bus (artery/cluster_bus.hpp) on one plain NATS connection:
// core NATS publish/subscribe and request/reply, no JetStream. What the
// library's artery_cluster_bus_v1 export hands the engine.
#pragma once
#include <artery/cluster_bus.hpp>

namespace artery::nats {

// The connection keys the `cluster:` block may hold (connection_options.hpp).
extern const OptionSpec* const kClusterBusOptions;
extern const std::size_t kClusterBusOptionCount;

std::unique_ptr<ClusterBus> open_cluster_bus(const ConnectorOptions& options, const std::string& name,
                                             const std::filesystem::path& base_dir,
                                             std::function<void(LogLevel, std::string_view)> log,
                                             std::string& error);

}  // namespace artery::nats
