// Times as people type them in a query string or on the command line.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace artery::admin {

// "2026-12-01T10:00:00Z" (or with a +01:00 offset, or a date alone),
// epoch milliseconds, or an age before now: "90s", "15m", "2h", "7d".
// Epoch milliseconds, or nullopt when it is none of those.
std::optional<std::int64_t> parse_time_or_age(std::string_view text, std::int64_t now_ms = 0);

}  // namespace artery::admin
