#include "cli/connector_client.hpp"

#include <future>

namespace artery::cli {

ConnectorClient::ConnectorClient(const PluginRegistry& plugins, const std::string& type,
                                 const std::vector<std::pair<std::string, std::string>>& options,
                                 const std::string& name) {
  const ConnectorSchema* schema = plugins.destination_schema(type);
  if (!schema) {
    error_ = "no '" + type + "' plugin with a destination was found (see artery version)";
    return;
  }
  ConnectorOptions connector;
  for (const auto& spec : schema->options)
    if (spec.default_value) connector.tree.put(spec.key, spec.default_value);
  for (const auto& [key, value] : options) connector.tree.put(key, value);
  context_ = std::make_unique<StoreConnectorContext>("cli", name, std::filesystem::current_path(),
                                                     std::filesystem::current_path(), nullptr);
  destination_ = plugins.create_destination(type, connector, *context_, error_);
  if (destination_ && !destination_->start(error_)) destination_ = {};
}

ConnectorClient::~ConnectorClient() {
  if (destination_) destination_->stop();
}

SendResult ConnectorClient::send(const std::string& content, const std::string& data_type) {
  OutboundMessage message;
  message.content = content;
  message.data_type = data_type;
  auto promise = std::make_shared<std::promise<SendResult>>();
  auto future = promise->get_future();
  destination_->send(std::move(message), [promise](SendResult result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace artery::cli
