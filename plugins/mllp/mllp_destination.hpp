// The MLLP sender: delivers one HL7 v2 message at a time and waits for the ACK
// that names it (MSA-2 = its MSH-10). Boost.Asio stays inside the .cpp.
#pragma once
#include <artery/plugin.hpp>

#include <memory>

#include "mllp_options.hpp"

namespace artery::mllp {

class MllpDestination final : public Destination {
 public:
  MllpDestination(DestinationSettings settings, ConnectorContext& context);
  ~MllpDestination() override;
  bool start(std::string& error) override;
  void stop() override;
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

std::unique_ptr<Destination> create_mllp_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                     std::string& error) noexcept;

}  // namespace artery::mllp
