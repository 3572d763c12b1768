// The `systemone` source: accepts integrating applications' TCP (or TLS)
// connections and answers SystmOne client-integration requests with what the
// channel's script produces. It is the TCP listener kit plus a
// SystemOneSession per connection; Asio stays in the engine.
#pragma once
#include "systemone_settings.hpp"

#include <artery/plugin.hpp>

#include <cstdint>
#include <memory>

namespace artery {
class TcpListener;
}

namespace artery::systemone {

class SystemOneSource final : public Source {
 public:
  SystemOneSource(SourceSettings settings, ConnectorContext& context);
  ~SystemOneSource() override;
  SystemOneSource(const SystemOneSource&) = delete;
  SystemOneSource& operator=(const SystemOneSource&) = delete;

  bool start(SourceHost& host, std::string& error) override;
  void stop() override;
  // The port actually bound (listen with port 0 picks a free one).
  std::uint16_t local_port() const;

  struct Runtime;

 private:
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<TcpListener> listener_;
};

// Throws std::invalid_argument for bad options.
std::unique_ptr<Source> make_systemone_source(const ConnectorOptions& options, ConnectorContext& context);

}  // namespace artery::systemone
