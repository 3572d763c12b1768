// GET /metadata: a CapabilityStatement listing exactly what the listener
// does for each served type (interactions, conditional support, search
// parameters from resource_types.hpp, _include), and transaction/batch.
#pragma once
#include <string>
#include <vector>

namespace artery::fhir {

std::string capability_statement_json(const std::vector<std::string>& types, bool repository, bool secured);

}  // namespace artery::fhir
