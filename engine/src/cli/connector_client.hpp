// A plugin destination driven directly by the CLI: loads the plugin, fills
// option defaults from its schema, sends and waits.
#pragma once
#include "plugin/plugin_registry.hpp"
#include "runtime/store_connector_context.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace artery::cli {

class ConnectorClient {
 public:
  // Options are flat key=value pairs on top of the schema's defaults.
  ConnectorClient(const PluginRegistry& plugins, const std::string& type,
                  const std::vector<std::pair<std::string, std::string>>& options, const std::string& name);
  ~ConnectorClient();
  bool ok() const { return static_cast<bool>(destination_); }
  const std::string& error() const { return error_; }
  SendResult send(const std::string& content, const std::string& data_type);

 private:
  std::unique_ptr<StoreConnectorContext> context_;
  ConnectorHandle<Destination> destination_;
  std::string error_;
};

}  // namespace artery::cli
