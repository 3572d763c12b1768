#include "option_reader.hpp"

#include <cstring>

namespace artery::file_connector {

std::string OptionReader::text(const char* key) const {
  if (auto value = options_.tree.get_optional<std::string>(boost::property_tree::ptree::path_type(key, '.')))
    return *value;
  for (std::size_t i = 0; i < count_; ++i)
    if (std::strcmp(specs_[i].key, key) == 0 && specs_[i].default_value) return specs_[i].default_value;
  return {};
}

void OptionReader::fail(const char* key, const std::string& what) {
  if (!error_.empty()) return;
  std::string where = options_.location_of(key);
  error_ = (where.empty() ? std::string{} : where + ": ") + key + ": " + what;
}

bool OptionReader::boolean(const char* key) {
  std::string value = text(key);
  if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
  if (value == "false" || value == "no" || value == "off" || value == "0") return false;
  fail(key, "expected true or false, got '" + value + "'");
  return false;
}

std::chrono::milliseconds OptionReader::duration(const char* key) {
  std::string value = text(key);
  if (auto parsed = parse_duration(value)) return *parsed;
  fail(key, "expected a duration such as 250ms, 1s or 5m, got '" + value + "'");
  return {};
}

std::uint64_t OptionReader::size(const char* key) {
  std::string value = text(key);
  if (auto parsed = parse_size(value)) return *parsed;
  fail(key, "expected a size such as 512KiB or 64MiB, got '" + value + "'");
  return 0;
}

std::int64_t OptionReader::integer(const char* key, std::int64_t min, std::int64_t max) {
  std::string value = text(key);
  std::int64_t parsed = 0;
  std::size_t used = 0;
  try {
    parsed = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size()) {
    fail(key, "expected a whole number, got '" + value + "'");
    return min;
  }
  if (parsed < min || parsed > max) {
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + value);
    return min;
  }
  return parsed;
}

std::size_t OptionReader::choice(const char* key, std::initializer_list<std::string_view> choices) {
  std::string value = text(key);
  std::size_t index = 0;
  std::string listed;
  for (std::string_view c : choices) {
    if (c == value) return index;
    listed += (listed.empty() ? "" : ", ") + std::string(c);
    ++index;
  }
  fail(key, "expected one of " + listed + ", got '" + value + "'");
  return 0;
}

std::string OptionReader::required(const char* key) {
  std::string value = text(key);
  if (value.empty()) fail(key, "is required");
  return value;
}

}  // namespace artery::file_connector
