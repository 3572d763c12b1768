// Factories for the file source and destination, as the plugin descriptor
// exposes them. In the static library so tests build connectors the way the
// engine does.
#pragma once
#include <artery/plugin.hpp>

#include <memory>
#include <string>

namespace artery::file_connector {

std::unique_ptr<Source> create_source(const ConnectorOptions& options, ConnectorContext& context,
                                      std::string& error) noexcept;
std::unique_ptr<Destination> create_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                std::string& error) noexcept;

}  // namespace artery::file_connector
