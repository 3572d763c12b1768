// ctx.vars kept with a message as a flat JSON object of strings.
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace artery {
std::string vars_to_json(const std::map<std::string, std::string>& vars);
std::map<std::string, std::string> vars_from_json(std::string_view json);  // {} on bad input
}  // namespace artery
