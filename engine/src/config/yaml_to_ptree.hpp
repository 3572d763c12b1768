// Converting YAML under a connector block into the ptree plugins read, keeping
// where every key was written (ConnectorOptions::locations).
#pragma once
#include "config/yaml_source.hpp"

#include <boost/property_tree/ptree.hpp>

#include <functional>
#include <map>
#include <string>

namespace artery::config {

// Scalars become node data, maps become named children (keys are added as
// given, so a '.' inside a key is not a path separator), sequences become
// children with empty keys (the ptree convention for arrays), null becomes an
// empty node. `path` is the dotted key of `node`; every key below it is
// recorded in `locations` as "path.key" (list items as "path.N") -> "file:line:col".
// `on_scalar(path, node)` sees every scalar (for template checks).
boost::property_tree::ptree yaml_to_ptree(const YAML::Node& node, const std::string& path,
                                          std::map<std::string, std::string>& locations, const YamlSource& source,
                                          const std::function<void(const std::string&, const YAML::Node&)>& on_scalar);

}  // namespace artery::config
