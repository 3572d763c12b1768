#include "cluster/cluster_bus_opening.hpp"

#include "cluster/cluster_settings.hpp"
#include "config/connector_options_check.hpp"
#include "config/yaml_source.hpp"
#include "log/logger.hpp"
#include "plugin/owned_schema.hpp"
#include "plugin/plugin_registry.hpp"

#include <boost/dll/shared_library.hpp>

namespace artery {

std::shared_ptr<ClusterBus> open_cluster_bus(const PluginRegistry& plugins, const ClusterSettings& cluster,
                                             std::string& error) {
  auto nats = plugins.find("nats");
  if (!nats || !nats->library) {
    error = "the nats plugin (artery-nats.so) is not in the plugins folder";
    return nullptr;
  }
  const ClusterBusDescriptor* descriptor = nullptr;
  try {
    if (!nats->library->has(kClusterBusEntryPoint)) {
      error = "the nats plugin " + nats->version + " (" + nats->file.string() + ") has no " + kClusterBusEntryPoint +
              " export: it is older than the cluster view; install the nats plugin built with this engine";
      return nullptr;
    }
    descriptor = nats->library->get<const ClusterBusDescriptor*()>(kClusterBusEntryPoint)();
  } catch (const std::exception& e) {
    error = std::string("the nats plugin's ") + kClusterBusEntryPoint + " failed: " + e.what();
    return nullptr;
  }
  if (!descriptor || descriptor->version < 1 || !descriptor->open) {
    error = std::string("the nats plugin's ") + kClusterBusEntryPoint + " returned no usable descriptor";
    return nullptr;
  }

  // The block was checked against its keys when artery.yaml was read; this
  // checks the values against the plugin's types and fills its defaults.
  Diagnostics diagnostics;
  config::YamlSource source("artery.yaml (cluster:)", diagnostics);
  auto schema = owned_schema(descriptor->options, descriptor->option_count, "");
  ConnectorOptions options = config::check_connector_options(cluster.connection, YAML::Mark::null_mark(), *schema,
                                                             {}, "cluster", source);
  if (!diagnostics.empty()) {
    error.clear();
    for (std::size_t i = 0; i < diagnostics.size(); ++i) error += (i ? "; " : "") + diagnostics[i].str();
    return nullptr;
  }
  std::unique_ptr<ClusterBus> bus = descriptor->open(
      options, "artery " + cluster.node + " cluster view", std::filesystem::path("/"),
      [](LogLevel level, std::string_view text) { logger::write(level, "cluster", text); },
      error);
  if (!bus) return nullptr;
  // The bus's code is the library's: the library goes after the bus.
  std::shared_ptr<boost::dll::shared_library> library = nats->library;
  return std::shared_ptr<ClusterBus>(bus.release(), [library](ClusterBus* b) { delete b; });
}

}  // namespace artery
