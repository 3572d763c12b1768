#include "file_connectors.hpp"

#include "file_destination.hpp"
#include "file_source.hpp"

namespace artery::file_connector {

std::unique_ptr<Source> create_source(const ConnectorOptions& options, ConnectorContext& context,
                                      std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    auto settings = read_source_settings(options, context.base_dir(), error);
    if (!settings) return nullptr;
    return std::make_unique<FileSource>(std::move(*settings), context);
  });
}

std::unique_ptr<Destination> create_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Destination> {
    auto settings = read_destination_settings(options, context.base_dir(), error);
    if (!settings) return nullptr;
    return std::make_unique<FileDestination>(std::move(*settings), &context.metrics());
  });
}

}  // namespace artery::file_connector
