// Placeholder until the client lands: refuses with a clear reason.
#include "fhir_connectors.hpp"

#include <stdexcept>

namespace artery::fhir {

std::unique_ptr<Source> create_poll_source(const ConnectorOptions&, ConnectorContext&) {
  throw std::runtime_error("fhir: mode poll is not built yet");
}
std::unique_ptr<Destination> create_client_destination(const ConnectorOptions&, ConnectorContext&) {
  throw std::runtime_error("fhir: the destination is not built yet");
}

}  // namespace artery::fhir
