#include "connector_option_reader.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace artery::systemone {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

const OptionSpec* ConnectorOptionReader::spec(const std::string& key) const {
  for (const auto& s : specs_)
    if (key == s.key) return &s;
  return nullptr;
}

void ConnectorOptionReader::fail(const std::string& key, const std::string& what) const {
  std::string where = options_.location_of(key);
  throw std::invalid_argument((where.empty() ? std::string{} : where + ": ") + key + ": " + what);
}

std::optional<std::string> ConnectorOptionReader::text(const std::string& key) const {
  if (auto node = options_.tree.get_child_optional(boost::property_tree::ptree::path_type(key, '.')))
    return node->data();
  if (const OptionSpec* s = spec(key); s != nullptr && s->default_value != nullptr) return std::string(s->default_value);
  return std::nullopt;
}

std::string ConnectorOptionReader::string(const std::string& key) const { return text(key).value_or(std::string{}); }

std::string ConnectorOptionReader::required_string(const std::string& key) const {
  auto value = text(key);
  if (!value || value->empty()) fail(key, "is required");
  return *value;
}

std::int64_t ConnectorOptionReader::integer(const std::string& key, std::int64_t min, std::int64_t max) const {
  std::string value = trimmed(string(key));
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
    fail(key, "expected an integer, got '" + value + "'");
  if (out < min || out > max)
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return out;
}

std::chrono::milliseconds ConnectorOptionReader::duration(const std::string& key) const {
  std::string value = trimmed(string(key));
  auto out = parse_duration(value);
  if (!out) fail(key, "expected a duration such as 250ms, 5s or 2m, got '" + value + "'");
  return *out;
}

std::uint64_t ConnectorOptionReader::size(const std::string& key) const {
  std::string value = trimmed(string(key));
  auto out = parse_size(value);
  if (!out) fail(key, "expected a size such as 1048576, 512KiB or 1MiB, got '" + value + "'");
  return *out;
}

bool ConnectorOptionReader::flag(const std::string& key) const {
  std::string value = trimmed(string(key));
  if (value == "true") return true;
  if (value == "false" || value.empty()) return false;
  fail(key, "expected true or false, got '" + value + "'");
}

Address ConnectorOptionReader::address(const std::string& key) const {
  std::string value = trimmed(required_string(key));
  auto out = parse_address(value);
  if (!out) fail(key, "expected host:port with a port from 1 to 65535, got '" + value + "'");
  return *out;
}

std::vector<std::string> ConnectorOptionReader::list(const std::string& key) const {
  std::vector<std::string> out;
  auto node = options_.tree.get_child_optional(boost::property_tree::ptree::path_type(key, '.'));
  if (node && !node->empty()) {
    for (const auto& [name, child] : *node) {
      if (!child.empty()) fail(key, "expected a list of strings");
      out.push_back(child.data());
    }
    return out;
  }
  std::string value = node ? node->data() : string(key);
  std::size_t from = 0;
  while (from <= value.size() && !value.empty()) {
    auto comma = value.find(',', from);
    std::string item = trimmed(std::string_view(value).substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

std::string ConnectorOptionReader::choice(const std::string& key) const {
  if (!text(key)) return {};  // optional, no default, not written
  std::string value = trimmed(string(key));
  const OptionSpec* s = spec(key);
  std::string_view type = s != nullptr ? s->type : "";
  if (type.rfind("enum:", 0) == 0) {
    std::string_view options = type.substr(5);
    std::size_t from = 0;
    for (;;) {
      auto bar = options.find('|', from);
      if (options.substr(from, bar == std::string_view::npos ? std::string_view::npos : bar - from) == value)
        return value;
      if (bar == std::string_view::npos) break;
      from = bar + 1;
    }
    fail(key, "must be one of " + std::string(options) + ", got '" + value + "'");
  }
  return value;
}

}  // namespace artery::systemone
