// The MLLP listener: receives HL7 v2 frames, submits each to the channel and
// answers with the ACK its disposition calls for, only after the message is
// stored. The TCP listener kit's TcpSource plus an MllpSession per connection.
#pragma once
#include <artery/tcp_source.hpp>

#include "mllp_options.hpp"

namespace artery::mllp {

class MllpSource final : public TcpSource {
 public:
  MllpSource(SourceSettings settings, ConnectorContext& context);
};

std::unique_ptr<Source> create_mllp_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) noexcept;

}  // namespace artery::mllp
