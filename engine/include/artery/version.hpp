// Versions a plugin is checked against before anything else in it is called.
#pragma once
#include <cstdint>

namespace artery {

// The plugin ABI. A plugin built for another major, or for a newer minor than
// this engine's, is refused: a newer minor may rely on host features we lack.
// 2: the descriptor carries the build fingerprint (build_fingerprint.hpp);
// ConnectorContext::metrics() and the TCP listener kit.
// 2.1: ConnectorContext::listen_sockets() (listening sockets kept across a redeploy).
// 2.2: ConnectorContext::value_cipher() (encryption at rest, value_cipher.hpp).
inline constexpr std::uint32_t kApiMajor = 2;
inline constexpr std::uint32_t kApiMinor = 2;

inline constexpr const char* kEngineVersion = "0.1.0";

}  // namespace artery
