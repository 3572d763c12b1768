// The `systemone` source: accepts integrating applications' TCP connections
// and answers SystmOne client-integration requests with what the channel's
// script produces. Asio lives in the .cpp only.
#pragma once
#include "systemone_settings.hpp"

#include <artery/plugin.hpp>

#include <memory>

namespace artery::systemone {

class SystemOneSource final : public Source {
 public:
  SystemOneSource(SourceSettings settings, ConnectorContext& context);
  ~SystemOneSource() override;
  SystemOneSource(const SystemOneSource&) = delete;
  SystemOneSource& operator=(const SystemOneSource&) = delete;

  bool start(SourceHost& host, std::string& error) override;
  void stop() override;

  struct Runtime;

 private:
  std::shared_ptr<Runtime> runtime_;
};

// Throws std::invalid_argument for bad options.
std::unique_ptr<Source> make_systemone_source(const ConnectorOptions& options, ConnectorContext& context);

}  // namespace artery::systemone
