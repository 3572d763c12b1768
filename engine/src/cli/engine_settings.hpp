// The engine settings a command runs with: artery.yaml (from --config, or
// ./artery.yaml when present) overridden by flags.
#pragma once
#include "cli/arguments.hpp"
#include "config/engine_config.hpp"

#include <optional>

namespace artery::cli {

// Flags every engine-facing command accepts.
inline const std::vector<std::string> kEngineFlags = {"--config", "--channels", "--data", "--http", "--plugins",
                                                      "--log-level"};

// nullopt (diagnostics printed) when artery.yaml is invalid.
std::optional<EngineConfig> engine_settings(const Arguments& args);

}  // namespace artery::cli
