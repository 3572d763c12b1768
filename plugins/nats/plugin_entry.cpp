// The loadable form's one exported symbol: what the engine reads first.
#include <artery/plugin.hpp>
#include <artery/version.hpp>

#include "nats_cluster_bus.hpp"
#include "nats_destination.hpp"
#include "nats_options.hpp"
#include "nats_source.hpp"

namespace {

std::unique_ptr<artery::Source> make_source(const artery::ConnectorOptions& options,
                                            artery::ConnectorContext& context, std::string& error) noexcept {
  return artery::guarded_create(error, [&] { return artery::nats::create_nats_source(options, context, error); });
}

std::unique_ptr<artery::Destination> make_destination(const artery::ConnectorOptions& options,
                                                      artery::ConnectorContext& context,
                                                      std::string& error) noexcept {
  return artery::guarded_create(error,
                                [&] { return artery::nats::create_nats_destination(options, context, error); });
}

std::unique_ptr<artery::ClusterBus> open_bus(const artery::ConnectorOptions& options, const std::string& name,
                                            const std::filesystem::path& base_dir,
                                            std::function<void(artery::LogLevel, std::string_view)> log,
                                            std::string& error) noexcept {
  return artery::guarded_create(
      error, [&] { return artery::nats::open_cluster_bus(options, name, base_dir, std::move(log), error); });
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor{
      artery::kApiMajor,
      artery::kApiMinor,
      &artery::kBuildFingerprint,
      "nats",
      artery::kEngineVersion,
      "NATS JetStream: durable pull consumer acknowledged after commit, and publisher confirmed by the stream "
      "(deduplicated by Nats-Msg-Id); plain NATS publish for notifications",
      artery::data_type::hl7v2,
      artery::nats::kSourceOptions,
      artery::nats::kSourceOptionCount,
      artery::nats::kDestinationOptions,
      artery::nats::kDestinationOptionCount,
      &make_source,
      &make_destination,
  };
  return &descriptor;
}

// The optional second export (artery/cluster_bus.hpp): the bus the nodes of
// a cluster share for the cluster view. Looked up only by an engine with
// `cluster:` in artery.yaml.
ARTERY_PLUGIN_EXPORT const artery::ClusterBusDescriptor* artery_cluster_bus_v1() noexcept {
  static const artery::ClusterBusDescriptor descriptor{1, artery::nats::kClusterBusOptions,
                                                       artery::nats::kClusterBusOptionCount, &open_bus};
  return &descriptor;
}
