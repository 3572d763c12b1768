// Placeholder until the listener lands: refuses to start with a clear reason.
#include "fhir_connectors.hpp"

#include <stdexcept>

namespace artery::fhir {

std::unique_ptr<Source> create_listener(const ConnectorOptions&, ConnectorContext&) {
  throw std::runtime_error("fhir: mode listen is not built yet");
}

}  // namespace artery::fhir
