#include "cluster/cluster_settings.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace artery {
namespace {

// The nats plugin's connection keys (plugins/nats/connection_options.hpp),
// listed here so a misspelt key in artery.yaml is reported in artery.yaml;
// their types are checked against the plugin's own schema when a clustered
// channel is loaded.
const std::vector<std::string> kClusterKeys = {
    "node",           "servers",       "name",     "user",          "password",           "token",
    "nkey",           "nkey_seed",     "credentials", "tls",        "connect_timeout",    "max_reconnect",
    "reconnect_wait", "max_reconnect_wait", "reconnect_jitter", "request_timeout"};
const std::vector<std::string> kTlsKeys = {"enabled", "ca", "cert", "key", "verify", "server_name"};

bool valid_node_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

std::shared_ptr<const ClusterSettings> read_cluster_settings(const config::MapEntry& entry,
                                                             config::YamlSource& source) {
  const std::size_t errors_before = source.error_count();
  config::MapFields fields(entry.value, config::YamlSource::mark_of(entry.key_node), "cluster", kClusterKeys, source);
  if (!fields.valid()) return nullptr;
  auto out = std::make_shared<ClusterSettings>();
  if (const auto* node = fields.require("node")) {
    if (auto name = fields.string("node")) {
      if (!valid_node_name(*name))
        fields.error(node->value, "invalid node name '" + *name + "': use lowercase letters, digits and '-'");
      out->node = *name;
    }
  }
  if (const auto* servers = fields.require("servers")) {
    if (!servers->value.IsSequence() || servers->value.size() == 0)
      fields.error(servers->value, "'servers' in cluster must be a list of NATS URLs (nats://host:port)");
  }
  out->connection = YAML::Clone(entry.value);
  out->connection.remove("node");
  // Paths in artery.yaml are relative to artery.yaml, not to the channel files.
  auto absolute = [&](YAML::Node map, const char* key) {
    if (map && map.IsMap() && map[key] && map[key].IsScalar() && !map[key].Scalar().empty())
      map[key] = source.resolve(map[key].Scalar()).string();
  };
  absolute(out->connection, "nkey_seed");
  absolute(out->connection, "credentials");
  if (const auto* tls = fields.find("tls")) {
    config::MapFields tls_fields(tls->value, config::YamlSource::mark_of(tls->key_node), "cluster.tls", kTlsKeys,
                                 source);
    YAML::Node copy = out->connection["tls"];
    for (const char* key : {"ca", "cert", "key"}) absolute(copy, key);
  }
  if (source.error_count() != errors_before) return nullptr;
  return out;
}

}  // namespace artery
