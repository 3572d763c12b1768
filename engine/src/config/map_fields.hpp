// The keys of one YAML map in a configuration file, read with checks: not a
// map, duplicate keys, unknown keys ("did you mean"), missing required keys
// and wrong types all become diagnostics at the offending node.
#pragma once
#include "config/yaml_source.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery::config {

struct MapEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class MapFields {
 public:
  // `anchor` is where messages about the whole map point (the key that opens
  // it, or the list item); `what` names it in messages ("channel", "retry").
  // `known` empty: unknown keys are not checked here (plugin blocks do that).
  MapFields(const YAML::Node& map, const YAML::Mark& anchor, std::string what, std::vector<std::string> known,
            YamlSource& source);

  bool valid() const { return valid_; }  // a map (null counts as an empty one)
  const std::vector<MapEntry>& entries() const { return entries_; }
  const YAML::Mark& anchor() const { return anchor_; }
  const std::string& what() const { return what_; }

  const MapEntry* find(std::string_view key) const;
  // Reports "missing required key" at the anchor when absent (or null).
  const MapEntry* require(std::string_view key);

  // Typed reads: nullopt when absent, or when wrong (reported).
  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t minimum,
                                      std::int64_t maximum = std::numeric_limits<std::int64_t>::max());
  std::optional<double> number(std::string_view key);  // > 0
  std::optional<std::chrono::milliseconds> duration(std::string_view key);
  std::optional<std::uint64_t> size(std::string_view key);
  std::optional<std::string> choice(std::string_view key, std::string_view enum_type);  // "enum:a|b"

  void error(const YAML::Node& at, std::string message) { source_.error(YamlSource::mark_of(at, anchor_), std::move(message)); }

 private:
  const MapEntry* typed(std::string_view key, std::string_view type);

  YamlSource& source_;
  YAML::Mark anchor_;
  std::string what_;
  std::vector<MapEntry> entries_;
  bool valid_ = true;
};

}  // namespace artery::config
