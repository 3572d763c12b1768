// Reading the engine's own keys of a configuration map.
#include "config/map_fields.hpp"

#include "config/closest_name.hpp"
#include "config/option_value.hpp"

#include <artery/options.hpp>

#include <algorithm>
#include <charconv>
#include <set>

namespace artery::config {

MapFields::MapFields(const YAML::Node& map, const YAML::Mark& anchor, std::string what,
                     std::vector<std::string> known, YamlSource& source)
    : source_(source), anchor_(anchor.is_null() ? YamlSource::mark_of(map) : anchor), what_(std::move(what)) {
  if (!map.IsDefined() || map.IsNull()) return;
  if (!map.IsMap()) {
    valid_ = false;
    source_.error(YamlSource::mark_of(map, anchor_), what_ + " must be a map, got " + describe_value(map));
    return;
  }
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node key = it->first;  // a copy: `it->` yields a temporary
    if (!key.IsScalar()) {
      source_.error(YamlSource::mark_of(key, anchor_), "a key in " + what_ + " must be a plain name");
      continue;
    }
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      // yaml-cpp keeps both; a silent "last one wins" would hide a mistake.
      source_.error(YamlSource::mark_of(key, anchor_), "duplicate key '" + name + "' in " + what_);
      continue;
    }
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      source_.error(YamlSource::mark_of(key, anchor_),
                    "unknown key '" + name + "' in " + what_ + did_you_mean(name, known));
      continue;
    }
    entries_.push_back({name, key, it->second});
  }
}

const MapEntry* MapFields::find(std::string_view key) const {
  for (const auto& entry : entries_)
    if (entry.key == key) return &entry;
  return nullptr;
}

const MapEntry* MapFields::require(std::string_view key) {
  const MapEntry* entry = find(key);
  if (entry && !entry->value.IsNull()) return entry;
  if (valid_) {
    if (entry)
      source_.error(YamlSource::mark_of(entry->key_node, anchor_),
                    "missing value for required key '" + std::string(key) + "' in " + what_);
    else
      source_.error(anchor_, "missing required key '" + std::string(key) + "' in " + what_);
  }
  return nullptr;
}

const MapEntry* MapFields::typed(std::string_view key, std::string_view type) {
  const MapEntry* entry = find(key);
  if (!entry) return nullptr;
  std::string problem = check_option_value(type, entry->value);
  if (!problem.empty()) {
    error(entry->value.IsNull() ? entry->key_node : entry->value,
          "wrong type for '" + std::string(key) + "' in " + what_ + ": " + problem);
    return nullptr;
  }
  return entry;
}

std::optional<std::string> MapFields::string(std::string_view key) {
  const MapEntry* entry = typed(key, "string");
  if (!entry) return std::nullopt;
  return entry->value.Scalar();
}

std::optional<bool> MapFields::boolean(std::string_view key) {
  const MapEntry* entry = typed(key, "bool");
  bool out = false;
  if (!entry || !parse_yaml_bool(entry->value.Scalar(), out)) return std::nullopt;
  return out;
}

std::optional<std::int64_t> MapFields::integer(std::string_view key, std::int64_t minimum, std::int64_t maximum) {
  const MapEntry* entry = typed(key, "int");
  if (!entry) return std::nullopt;
  std::string_view text = entry->value.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < minimum) {
    error(entry->value, "'" + std::string(key) + "' in " + what_ + " must be at least " + std::to_string(minimum) +
                            ", got " + entry->value.Scalar());
    return std::nullopt;
  }
  if (value > maximum) {
    error(entry->value, "'" + std::string(key) + "' in " + what_ + " must be at most " + std::to_string(maximum) +
                            ", got " + entry->value.Scalar());
    return std::nullopt;
  }
  return value;
}

std::optional<double> MapFields::number(std::string_view key) {
  const MapEntry* entry = find(key);
  if (!entry) return std::nullopt;
  double value = 0;
  bool parsed = false;
  if (entry->value.IsScalar()) {
    const std::string& text = entry->value.Scalar();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    parsed = ec == std::errc{} && end == text.data() + text.size();
  }
  if (!parsed) {
    error(entry->value.IsNull() ? entry->key_node : entry->value,
          "wrong type for '" + std::string(key) + "' in " + what_ + ": expected a number, got " +
              describe_value(entry->value));
    return std::nullopt;
  }
  if (!(value > 0)) {
    error(entry->value, "'" + std::string(key) + "' in " + what_ + " must be a positive number, got " +
                            entry->value.Scalar());
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> MapFields::duration(std::string_view key) {
  const MapEntry* entry = typed(key, "duration");
  if (!entry) return std::nullopt;
  return parse_duration(entry->value.Scalar());
}

std::optional<std::uint64_t> MapFields::size(std::string_view key) {
  const MapEntry* entry = typed(key, "size");
  if (!entry) return std::nullopt;
  return parse_size(entry->value.Scalar());
}

std::optional<std::string> MapFields::choice(std::string_view key, std::string_view enum_type) {
  const MapEntry* entry = typed(key, enum_type);
  if (!entry) return std::nullopt;
  return entry->value.Scalar();
}

}  // namespace artery::config
