// ConnectorContext backed by the message store: a connector's persistent
// state lives in the store's key/value table under its own namespace.
#pragma once
#include "net/listen_socket_pool.hpp"
#include "store/message_store.hpp"

#include <artery/plugin.hpp>

#include <filesystem>
#include <string>

namespace artery {

class StoreConnectorContext final : public ConnectorContext {
 public:
  StoreConnectorContext(std::string channel, std::string connector, std::filesystem::path base_dir,
                        std::filesystem::path data_dir, MessageStore* store);

  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(LogLevel level, std::string_view text) override;
  std::optional<std::string> state_get(std::string_view key) override;
  void state_put(std::string_view key, std::string_view value) override;
  std::filesystem::path base_dir() const override { return base_dir_; }
  std::filesystem::path data_dir() const override { return data_dir_; }
  // The engine's pool, as this connector: each version of a channel gets a
  // new context, and the same channel/connector name shares the socket.
  ListenSockets* listen_sockets() override { return &sockets_; }
  // The store's cipher: what the engine seals with (disabled without a store).
  const ValueCipher& value_cipher() const override;

  // A plain copy of the counters the connector reports (ConnectorContext::
  // metrics()), taken without a lock: safe from any thread during traffic.
  ConnectorMetricsSnapshot metrics_snapshot() const { return metrics().snapshot(); }

 private:
  std::string channel_, connector_, component_, space_;
  std::filesystem::path base_dir_, data_dir_;
  MessageStore* store_;  // null in offline runs (`artery test`): state is then not kept
  net::ConnectorListenSockets sockets_;
};

}  // namespace artery
