// YAML -> ptree, recursively. Config blocks are small, so plain recursion is fine.
#include "config/yaml_to_ptree.hpp"

namespace artery::config {

boost::property_tree::ptree yaml_to_ptree(const YAML::Node& node, const std::string& path,
                                          std::map<std::string, std::string>& locations, const YamlSource& source,
                                          const std::function<void(const std::string&, const YAML::Node&)>& on_scalar) {
  boost::property_tree::ptree out;
  if (node.IsScalar()) {
    out.put_value(node.Scalar());
    if (on_scalar) on_scalar(path, node);
  } else if (node.IsSequence()) {
    std::size_t index = 0;
    for (const auto& item : node) {
      std::string item_path = path + "." + std::to_string(index++);
      locations[item_path] = source.location(YamlSource::mark_of(item));
      out.push_back({"", yaml_to_ptree(item, item_path, locations, source, on_scalar)});
    }
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node key_node = it->first;  // copies: `it->` yields a temporary
      YAML::Node value = it->second;
      std::string key = key_node.IsScalar() ? key_node.Scalar() : std::string{};
      std::string key_path = path.empty() ? key : path + "." + key;
      locations[key_path] = source.location(YamlSource::mark_of(key_node));
      out.push_back({key, yaml_to_ptree(value, key_path, locations, source, on_scalar)});
    }
  }
  return out;
}

}  // namespace artery::config
