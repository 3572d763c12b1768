// The `systemone` destination: calls a SystmOne client's integration socket
// with one request per message, keeping the connection, SystmOne's rate
// limits and the approved DeviceID. Asio lives in the .cpp only.
#pragma once
#include "systemone_settings.hpp"

#include <artery/plugin.hpp>

#include <memory>

namespace artery::systemone {

class SystemOneDestination final : public Destination {
 public:
  SystemOneDestination(DestinationSettings settings, ConnectorContext& context);
  ~SystemOneDestination() override;
  SystemOneDestination(const SystemOneDestination&) = delete;
  SystemOneDestination& operator=(const SystemOneDestination&) = delete;

  bool start(std::string& error) override;
  void stop() override;
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

  struct Runtime;

 private:
  std::shared_ptr<Runtime> runtime_;
};

std::unique_ptr<Destination> make_systemone_destination(const ConnectorOptions& options, ConnectorContext& context);

}  // namespace artery::systemone
