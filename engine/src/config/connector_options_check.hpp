// Checking a source or destination block's plugin keys against the plugin's
// declared schema, and turning them into the ConnectorOptions it receives.
#pragma once
#include "config/channel_config.hpp"
#include "config/yaml_source.hpp"

#include <string>
#include <vector>

namespace artery::config {

// Reports unknown keys (with "did you mean"), wrong types, missing required
// keys and bad ${var} templates in any string, each at its node; fills
// defaults for absent keys. `engine_keys` are the block's keys the engine
// reads itself (type, name, script, ...), skipped here. `what` names the
// block in messages ("mllp source", "file destination 'out'"). `anchor` is
// where the block starts (locations[""]).
ConnectorOptions check_connector_options(const YAML::Node& block, const YAML::Mark& anchor,
                                         const ConnectorSchema& schema, const std::vector<std::string>& engine_keys,
                                         const std::string& what, YamlSource& source);

}  // namespace artery::config
