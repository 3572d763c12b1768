// Versions a plugin is checked against before anything else in it is called.
#pragma once
#include <cstdint>

namespace artery {

// The plugin ABI. A plugin built for another major, or for a newer minor than
// this engine's, is refused: a newer minor may rely on host features we lack.
inline constexpr std::uint32_t kApiMajor = 1;
inline constexpr std::uint32_t kApiMinor = 1;  // 1: ConnectorContext::metrics(), the TCP listener kit

inline constexpr const char* kEngineVersion = "0.1.0";

}  // namespace artery
