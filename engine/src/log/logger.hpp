// The engine's log: one line per event on stderr, "time level [component] text".
// Repeated lines (same level, component and shape) are rate-limited and
// summarised: see repeated_line_limiter.hpp.
#pragma once
#include <artery/plugin.hpp>

#include <string_view>

namespace artery::logger {

void set_level(LogLevel level);
bool enabled(LogLevel level);
void write(LogLevel level, std::string_view component, std::string_view text);

inline void debug(std::string_view component, std::string_view text) { write(LogLevel::debug, component, text); }
inline void info(std::string_view component, std::string_view text) { write(LogLevel::info, component, text); }
inline void warn(std::string_view component, std::string_view text) { write(LogLevel::warn, component, text); }
inline void error(std::string_view component, std::string_view text) { write(LogLevel::error, component, text); }

}  // namespace artery::logger
