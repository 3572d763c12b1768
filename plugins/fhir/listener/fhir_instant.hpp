// FHIR date, dateTime and instant values as ranges of Unix milliseconds:
// "2024" is all of 2024, "2024-03-01T10:00:00Z" one second. Searches compare
// ranges (FHIR's date search semantics); values without a zone count as UTC.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artery::fhir {

struct TimeRange {
  std::int64_t low = 0;   // inclusive
  std::int64_t high = 0;  // exclusive
};

std::optional<TimeRange> parse_fhir_time(std::string_view text);
// 2024-03-01T10:00:00.123Z
std::string format_instant(std::int64_t unix_ms);

}  // namespace artery::fhir
