#include "runtime/vars_json.hpp"

#include <boost/json.hpp>

namespace artery {

std::string vars_to_json(const std::map<std::string, std::string>& vars) {
  if (vars.empty()) return "{}";
  boost::json::object object;
  for (const auto& [key, value] : vars) object[key] = value;
  return boost::json::serialize(object);
}

std::map<std::string, std::string> vars_from_json(std::string_view json) {
  std::map<std::string, std::string> vars;
  if (json.empty()) return vars;
  boost::system::error_code ec;
  auto value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return vars;
  for (const auto& [key, item] : value.as_object()) {
    if (item.is_string()) vars.emplace(key, std::string(item.as_string()));
    else vars.emplace(key, boost::json::serialize(item));
  }
  return vars;
}

}  // namespace artery
