// The MLLP listener: receives HL7 v2 frames, submits each to the channel and
// answers with the ACK its disposition calls for, only after the message is
// stored. It is the TCP listener kit plus an MllpSession per connection.
#pragma once
#include <artery/plugin.hpp>

#include <cstdint>
#include <memory>

#include "mllp_options.hpp"

namespace artery {
class TcpListener;
}

namespace artery::mllp {

struct MllpSourceState;

class MllpSource final : public Source {
 public:
  MllpSource(SourceSettings settings, ConnectorContext& context);
  ~MllpSource() override;
  bool start(SourceHost& host, std::string& error) override;
  void stop() override;
  // The port actually bound (listen with port 0 picks a free one: tests).
  std::uint16_t local_port() const;

 private:
  std::shared_ptr<MllpSourceState> state_;
  std::unique_ptr<TcpListener> listener_;
};

std::unique_ptr<Source> create_mllp_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) noexcept;

}  // namespace artery::mllp
