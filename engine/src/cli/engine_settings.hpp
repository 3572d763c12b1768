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

// What is wrong with the engine flags' values (a --log-level that is not a
// level), or "" when nothing is: a usage error, reported before any file is read.
std::string engine_flags_error(const Arguments& args);

// nullopt (diagnostics printed) when artery.yaml is invalid.
std::optional<EngineConfig> engine_settings(const Arguments& args);

}  // namespace artery::cli
