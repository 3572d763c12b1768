// Plugin option checking. Schema keys are dotted ("tls.cert"): the prefixes of
// dotted keys ("tls") are maps whose keys are checked too (a `map` spec for such
// a prefix only documents it), a `map` key with no declared keys below it takes
// anything unchecked, and every other key is one typed value. A dotted key may
// also be written flat (`tls.enabled: true`); it lands in the same nested node.
#include "config/connector_options_check.hpp"

#include "config/closest_name.hpp"
#include "config/option_value.hpp"
#include "config/yaml_to_ptree.hpp"

#include <algorithm>
#include <fstream>
#include <set>

namespace artery::config {
namespace {

namespace pt = boost::property_tree;

class OptionWalk {
 public:
  OptionWalk(const ConnectorSchema& schema, const std::vector<std::string>& engine_keys, const std::string& what,
             YamlSource& source, ConnectorOptions& out)
      : specs_(schema.options), engine_keys_(engine_keys), what_(what), source_(source), out_(out) {}

  void walk_map(const YAML::Node& map, const std::string& prefix, pt::ptree& tree) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      YAML::Node key_node = it->first;  // a copy: `it->` yields a temporary
      YAML::Node value = it->second;
      if (!key_node.IsScalar()) {
        source_.error(key_node, "a key in " + what_ + " must be a plain name");
        continue;
      }
      const std::string& key = key_node.Scalar();
      if (prefix.empty() && std::find(engine_keys_.begin(), engine_keys_.end(), key) != engine_keys_.end()) continue;
      std::string full = prefix.empty() ? key : prefix + "." + key;
      if (!seen.insert(key).second) {
        // At the top level the engine's MapFields over the same block has said so already.
        if (!prefix.empty()) source_.error(key_node, "duplicate key '" + full + "' in " + what_);
        continue;
      }
      out_.locations[full] = source_.location(YamlSource::mark_of(key_node));
      if (!present_.insert(full).second) {
        // `tls.enabled: true` beside `tls: {enabled: false}`: one of them would silently win.
        source_.error(key_node, "'" + full + "' is set twice in " + what_);
        continue;
      }
      const OptionSpec* spec = find_spec(full);
      const bool group = is_group(full);
      if (spec && !(group && is_map(*spec))) {
        read_value(*spec, full, key, key_node, value, tree);
      } else if (group) {
        if (value.IsNull()) continue;  // `tls:` with nothing under it: as if absent
        if (!value.IsMap()) {
          source_.error(value, "wrong type for '" + full + "' in " + what_ + ": expected a map, got " +
                                   describe_value(value));
          continue;
        }
        walk_map(value, full, node_at(tree, key));
      } else {
        auto candidates = names_under(prefix);
        std::string shown = full;
        source_.error(key_node, "unknown key '" + shown + "' in " + what_ + did_you_mean(key, candidates));
      }
    }
  }

  // Required keys and defaults, after the walk.
  void finish(const YAML::Mark& anchor) {
    for (const auto& spec : specs_) {
      if (!spec.key) continue;
      std::string key = spec.key;
      if (present_.count(key)) continue;
      if (spec.required) {
        source_.error(anchor, "missing required key '" + key + "' in " + what_);
      } else if (spec.default_value) {
        // Dotted keys become nested nodes, as plugins read them.
        out_.tree.put(pt::ptree::path_type(key, '.'), std::string(spec.default_value));
      }
    }
  }

 private:
  const OptionSpec* find_spec(const std::string& full) const {
    for (const auto& spec : specs_)
      if (spec.key && full == spec.key) return &spec;
    return nullptr;
  }

  static bool is_map(const OptionSpec& spec) { return spec.type && std::string_view(spec.type) == "map"; }

  // The node for a possibly dotted key below `tree`, created on the way: a
  // flat `tls.enabled` and a nested `tls: {cert: ...}` share one `tls` node.
  static pt::ptree& node_at(pt::ptree& tree, const std::string& key) {
    pt::ptree* node = &tree;
    std::size_t start = 0;
    while (true) {
      const auto dot = key.find('.', start);
      const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      auto found = node->find(part);
      node = found == node->not_found() ? &node->push_back({part, pt::ptree{}})->second : &found->second;
      if (dot == std::string::npos) return *node;
      start = dot + 1;
    }
  }

  bool is_group(const std::string& full) const {
    std::string prefix = full + ".";
    for (const auto& spec : specs_)
      if (spec.key && std::string_view(spec.key).substr(0, prefix.size()) == prefix) return true;
    return false;
  }

  // The names a key at this level could have been (for "did you mean").
  std::vector<std::string> names_under(const std::string& prefix) const {
    std::vector<std::string> out;
    std::string head = prefix.empty() ? "" : prefix + ".";
    for (const auto& spec : specs_) {
      if (!spec.key) continue;
      std::string_view key = spec.key;
      if (key.substr(0, head.size()) != head) continue;
      key.remove_prefix(head.size());
      out.emplace_back(key.substr(0, key.find('.')));
    }
    if (prefix.empty()) out.insert(out.end(), engine_keys_.begin(), engine_keys_.end());
    return out;
  }

  void read_value(const OptionSpec& spec, const std::string& full, const std::string& key,
                  const YAML::Node& key_node, const YAML::Node& value, pt::ptree& tree) {
    std::string_view type = spec.type ? spec.type : "string";
    std::string problem = check_option_value(type, value);
    if (!problem.empty()) {
      source_.error(value.IsNull() ? key_node : value, "wrong type for '" + full + "' in " + what_ + ": " + problem);
      return;
    }
    auto check_template_at = [this](const std::string& path, const YAML::Node& scalar) {
      std::string bad = check_template(scalar.Scalar());
      if (!bad.empty()) source_.error(scalar, "bad template in '" + path + "' of " + what_ + ": " + bad);
    };
    if (type == "file") check_file(full, value);
    pt::ptree child = yaml_to_ptree(value, full, out_.locations, source_, check_template_at);
    bool flag = false;
    if (type == "bool" && parse_yaml_bool(value.Scalar(), flag)) child.put_value(flag ? "true" : "false");
    node_at(tree, key) = std::move(child);
  }

  // A file option (a certificate, a key) must name a readable file, relative to
  // the channel file; "" means not set, and the plugin decides if it is needed.
  void check_file(const std::string& full, const YAML::Node& value) {
    const std::string& written = value.Scalar();
    if (written.empty()) return;
    const auto path = source_.resolve(written);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      source_.error(value, "'" + full + "' in " + what_ + ": file not found: " + written);
    } else if (!std::filesystem::is_regular_file(path, ec)) {
      source_.error(value, "'" + full + "' in " + what_ + ": not a file: " + written);
    } else if (!std::ifstream(path, std::ios::binary)) {
      source_.error(value, "'" + full + "' in " + what_ + ": cannot read " + written);
    }
  }

  const std::vector<OptionSpec>& specs_;
  const std::vector<std::string>& engine_keys_;
  const std::string& what_;
  YamlSource& source_;
  ConnectorOptions& out_;
  std::set<std::string> present_;
};

}  // namespace

ConnectorOptions check_connector_options(const YAML::Node& block, const YAML::Mark& anchor,
                                         const ConnectorSchema& schema, const std::vector<std::string>& engine_keys,
                                         const std::string& what, YamlSource& source) {
  ConnectorOptions out;
  out.locations[""] = source.location(anchor);
  OptionWalk walk(schema, engine_keys, what, source, out);
  if (block.IsMap()) walk.walk_map(block, "", out.tree);
  walk.finish(anchor);
  return out;
}

}  // namespace artery::config
