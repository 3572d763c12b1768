// Plugin option checking. Schema keys are dotted ("tls.cert"): the prefixes of
// dotted keys ("tls") are implicit maps, a key of type `map` takes anything
// below it unchecked, and every other key is one typed value.
#include "config/connector_options_check.hpp"

#include "config/closest_name.hpp"
#include "config/option_value.hpp"
#include "config/yaml_to_ptree.hpp"

#include <algorithm>
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
      present_.insert(full);
      if (const OptionSpec* spec = find_spec(full)) {
        read_value(*spec, full, key, key_node, value, tree);
      } else if (is_group(full)) {
        if (value.IsNull()) continue;  // `tls:` with nothing under it: as if absent
        if (!value.IsMap()) {
          source_.error(value, "wrong type for '" + full + "' in " + what_ + ": expected a map, got " +
                                   describe_value(value));
          continue;
        }
        pt::ptree child;
        walk_map(value, full, child);
        tree.push_back({key, std::move(child)});
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
    pt::ptree child = yaml_to_ptree(value, full, out_.locations, source_, check_template_at);
    bool flag = false;
    if (type == "bool" && parse_yaml_bool(value.Scalar(), flag)) child.put_value(flag ? "true" : "false");
    tree.push_back({key, std::move(child)});
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
