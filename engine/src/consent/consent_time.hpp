// Times a consent is judged at and by: FHIR R4 date/dateTime/instant
// ("2026", "2026-03", "2026-03-01", "2026-03-01T09:30:00+01:00") and HL7 v2
// TS/DTM ("20260301093000+0100"), each as the span of milliseconds it
// stands for. A partial date is the whole of that year, month or day, so a
// provision.period ending "2026-12-31" still covers the evening of that day.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace artery::consent {

// [low, high): Unix epoch milliseconds. A time without a zone is taken as UTC.
struct TimeSpan {
  std::int64_t low = 0;
  std::int64_t high = 0;
};

std::optional<TimeSpan> parse_fhir_time(std::string_view text);
std::optional<TimeSpan> parse_hl7_time(std::string_view text);
// Either form: FHIR when it has a '-' after the year, else HL7.
std::optional<TimeSpan> parse_any_time(std::string_view text);

// "2026-03-01T09:30:00Z" (UTC, seconds): for reasons and the Lua `at` default.
std::string_view format_utc(std::int64_t ms, char (&buffer)[32]);

}  // namespace artery::consent
