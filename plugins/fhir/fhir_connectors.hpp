// The factories the descriptor points at. The source factory picks the
// listener or the polling source by `mode`.
#pragma once
#include <artery/plugin.hpp>

#include <memory>
#include <string>

namespace artery::fhir {

std::unique_ptr<Source> create_source(const ConnectorOptions& options, ConnectorContext& context,
                                      std::string& error) noexcept;
std::unique_ptr<Destination> create_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                std::string& error) noexcept;

// Implemented in listener/ and client/.
std::unique_ptr<Source> create_listener(const ConnectorOptions& options, ConnectorContext& context);
std::unique_ptr<Source> create_poll_source(const ConnectorOptions& options, ConnectorContext& context);
std::unique_ptr<Destination> create_client_destination(const ConnectorOptions& options, ConnectorContext& context);

}  // namespace artery::fhir
