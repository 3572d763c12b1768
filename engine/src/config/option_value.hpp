// Checking one YAML value against an option type (the OptionSpec::type words:
// string|int|bool|duration|size|address|list|map|enum:a|b|c), shared by the
// plugin option checker and the engine's own keys.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace artery::config {

// "" when `value` is a valid `type`, else what is wrong, e.g.
// "expected an integer, got 'abc'". An unknown type word accepts anything:
// that is a plugin bug, not the channel author's.
std::string check_option_value(std::string_view type, const YAML::Node& value);

// How a value reads in a message: 'text', a map, a list, nothing.
std::string describe_value(const YAML::Node& value);

// YAML 1.2 booleans: true/True/TRUE/false/False/FALSE.
bool parse_yaml_bool(std::string_view text, bool& out);

}  // namespace artery::config
