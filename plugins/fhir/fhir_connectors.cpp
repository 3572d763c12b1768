#include "fhir_connectors.hpp"

#include "fhir_options.hpp"

#include <artery/option_reader.hpp>

namespace artery::fhir {

std::unique_ptr<Source> create_source(const ConnectorOptions& options, ConnectorContext& context,
                                      std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    OptionReader read(options, kSourceOptions, kSourceOptionCount);
    std::size_t mode = read.choice("mode", {"listen", "poll"});
    if (!read.ok()) throw std::runtime_error(read.error());
    return mode == 0 ? create_listener(options, context) : create_poll_source(options, context);
  });
}

std::unique_ptr<Destination> create_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                std::string& error) noexcept {
  return guarded_create(error, [&] { return create_client_destination(options, context); });
}

}  // namespace artery::fhir
