// Type checks for option values. Values stay text (plugins parse them with the
// same artery::parse_* functions), so this only decides valid or not.
#include "config/option_value.hpp"

#include <artery/options.hpp>

#include <charconv>
#include <vector>

namespace artery::config {
namespace {

bool is_integer(std::string_view text) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  if (begin == end) return false;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc{} && ptr == end;
}

std::vector<std::string_view> split_choices(std::string_view list) {
  std::vector<std::string_view> out;
  while (true) {
    auto bar = list.find('|');
    out.push_back(list.substr(0, bar));
    if (bar == std::string_view::npos) break;
    list.remove_prefix(bar + 1);
  }
  return out;
}

}  // namespace

bool parse_yaml_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "True" || text == "TRUE") {
    out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

std::string describe_value(const YAML::Node& value) {
  if (!value.IsDefined() || value.IsNull()) return "nothing";
  if (value.IsMap()) return "a map";
  if (value.IsSequence()) return "a list";
  return "'" + value.Scalar() + "'";
}

std::string check_option_value(std::string_view type, const YAML::Node& value) {
  if (type == "map") return value.IsMap() ? "" : "expected a map, got " + describe_value(value);
  if (type == "list") return value.IsSequence() ? "" : "expected a list, got " + describe_value(value);
  if (!value.IsScalar()) {
    // Every other type is written as one scalar.
    if (type == "string") return "expected a string, got " + describe_value(value);
    if (type == "file") return "expected a file path, got " + describe_value(value);
    if (type == "int") return "expected an integer, got " + describe_value(value);
    if (type == "bool") return "expected true or false, got " + describe_value(value);
    if (type == "duration") return "expected a duration (250ms, 1s, 5m, 2h, 1d), got " + describe_value(value);
    if (type == "size") return "expected a size (512KiB, 1MiB, 1MB), got " + describe_value(value);
    if (type == "address") return "expected an address (host:port), got " + describe_value(value);
    if (type.rfind("enum:", 0) == 0) return "expected a value, got " + describe_value(value);
    return "expected a value, got " + describe_value(value);
  }
  const std::string& text = value.Scalar();
  if (type == "string" || type == "file") return "";
  if (type == "int") return is_integer(text) ? "" : "expected an integer, got '" + text + "'";
  if (type == "bool") {
    bool b = false;
    return parse_yaml_bool(text, b) ? "" : "expected true or false, got '" + text + "'";
  }
  if (type == "duration")
    return parse_duration(text) ? "" : "expected a duration (250ms, 1s, 5m, 2h, 1d), got '" + text + "'";
  if (type == "size") return parse_size(text) ? "" : "expected a size (512KiB, 1MiB, 1MB), got '" + text + "'";
  if (type == "address")
    return parse_address(text) ? "" : "expected an address (host:port, [::1]:port, :port), got '" + text + "'";
  if (type.rfind("enum:", 0) == 0) {
    auto choices = split_choices(type.substr(5));
    for (auto choice : choices)
      if (text == choice) return "";
    std::string list;
    for (auto choice : choices) list += (list.empty() ? "" : ", ") + std::string(choice);
    return "expected one of " + list + ", got '" + text + "'";
  }
  return "";
}

}  // namespace artery::config
