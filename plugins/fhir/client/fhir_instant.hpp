// FHIR instants ("2024-05-01T10:00:00.123+02:00") as microseconds since the
// epoch, so marks from servers that write Z, +00:00 or other offsets, with
// or without fractions, compare correctly.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace artery::fhir {

std::optional<std::int64_t> instant_micros(std::string_view text);

}  // namespace artery::fhir
