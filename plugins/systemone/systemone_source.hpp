// The `systemone` source: accepts integrating applications' TCP (or TLS)
// connections and answers SystmOne client-integration requests with what the
// channel's script produces. It is the TCP listener kit's TcpSource plus a
// SystemOneSession per connection; Asio stays in the engine.
#pragma once
#include "systemone_settings.hpp"

#include <artery/tcp_source.hpp>

#include <memory>

namespace artery::systemone {

class SystemOneSource final : public TcpSource {
 public:
  SystemOneSource(SourceSettings settings, ConnectorContext& context);

  struct Runtime;
};

// Throws std::invalid_argument for bad options.
std::unique_ptr<Source> make_systemone_source(const ConnectorOptions& options, ConnectorContext& context);

}  // namespace artery::systemone
