// FHIR R4 validation by a third-party validator, for tests: runs
// tests/fhir_validator/validate.mjs (the `fhir` npm package against the R4
// StructureDefinitions, plus the R4 primitive formats and JSON rules) on one
// resource or Bundle, so what the repository returns and the mappers produce
// is checked against the specification and not only against our own code.
#pragma once
#include <string>
#include <vector>

namespace artery::testing {

// The validator's problems with `json` (a resource or Bundle), one
// "<severity> <location>: <message>" per item; empty when it is valid R4.
// Throws std::runtime_error when the validator itself cannot run (node or
// tests/fhir_validator/node_modules missing), so a broken setup never passes.
std::vector<std::string> fhir_validation_problems(const std::string& json);

}  // namespace artery::testing
