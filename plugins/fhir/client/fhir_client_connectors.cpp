// The factories fhir_connectors.cpp calls for the dialling side.
#include "client/fhir_destination.hpp"
#include "client/fhir_poll_source.hpp"
#include "fhir_connectors.hpp"

namespace artery::fhir {

std::unique_ptr<Source> create_poll_source(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<FhirPollSource>(read_poll_settings(options, context.base_dir()), context);
}

std::unique_ptr<Destination> create_client_destination(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<FhirDestination>(read_destination_settings(options, context.base_dir()), context);
}

}  // namespace artery::fhir
