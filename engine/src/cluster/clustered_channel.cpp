#include "cluster/clustered_channel.hpp"

#include "cluster/cluster_settings.hpp"
#include "config/connector_options_check.hpp"
#include "config/yaml_source.hpp"

#include <cctype>

namespace artery {
namespace {

// Retries of the ingress publish: the sender waits for its ACK meanwhile, so
// short waits (a NATS server restarting, the client failing over to another
// one) and about half a minute in all, then the message is ERROR and the
// sender gets a negative ACK instead of waiting for ever.
RetryPolicy ingress_retry() {
  RetryPolicy retry;
  retry.max = 30;
  retry.initial = std::chrono::milliseconds(250);
  retry.max_delay = std::chrono::milliseconds(1000);
  return retry;
}

std::string milliseconds(std::chrono::milliseconds value) { return std::to_string(value.count()) + "ms"; }

}  // namespace

std::string cluster_stream_name(const ChannelConfig& channel) {
  if (channel.cluster && !channel.cluster->stream.empty()) return channel.cluster->stream;
  std::string out = "ARTERY_";
  for (char c : channel.name) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string cluster_subject(const std::string& channel) { return "artery.cluster." + channel; }

std::string cluster_ingress_name(const std::string& channel) { return channel + "-ingress"; }

bool split_clustered_channel(ChannelConfig& channel, const ClusterSettings* cluster, const PluginCatalog& plugins,
                             Diagnostics& diagnostics) {
  if (!channel.cluster) return true;
  const ChannelClusterBlock& block = *channel.cluster;
  config::YamlSource source(channel.file, diagnostics);  // only for its diagnostics
  YAML::Mark at = YAML::Mark::null_mark();
  at.line = block.line;
  at.column = block.column;
  if (!cluster) {
    source.error(at, "channel '" + channel.name +
                         "' has a cluster: block, but this engine has no cluster: in artery.yaml (servers, node)");
    return false;
  }
  const ConnectorSchema* source_schema = plugins.source_schema("nats");
  const ConnectorSchema* destination_schema = plugins.destination_schema("nats");
  if (!source_schema || !destination_schema) {
    source.error(at, "cluster: needs the nats plugin (artery-nats.so in the plugins folder), which is not loaded");
    return false;
  }
  const std::string stream = cluster_stream_name(channel);
  const std::string subject = cluster_subject(channel.name);
  const std::size_t errors_before = source.error_count();

  // The processing half's source: every node's consumer has the same
  // durable name, so JetStream gives each message to one of them.
  YAML::Node pull = YAML::Clone(cluster->connection);
  if (!pull["name"]) pull["name"] = "artery " + cluster->node + " " + channel.name + "/cluster";
  pull["stream"] = stream;
  pull["durable"] = "artery-" + channel.name;
  pull["filter_subject"] = subject;
  pull["create"] = true;
  pull["replicas"] = block.replicas;
  pull["retention"] = "workqueue";
  pull["ack_wait"] = milliseconds(block.ack_wait);
  pull["max_deliver"] = block.max_deliver;
  pull["batch"] = block.batch;
  pull["data_type"] = channel.data_type;
  if (block.per_key) {
    // Partition p is <subject>.<p>, consumed as artery-<name>-p<p> with one
    // message in flight by whichever node pulls it (clustered_channel.hpp).
    pull["partitions"] = block.partitions;
    pull["subjects"].push_back(subject + ".*");
  }
  ConnectorOptions pull_options =
      config::check_connector_options(pull, at, *source_schema, {}, "cluster (nats source)", source);

  // The ingress half's destination. Its name carries the node's, so the
  // default Nats-Msg-Id (<channel>/<destination>/<message id>) is unique
  // across nodes (each has its own message ids) and the same on every retry.
  YAML::Node publish = YAML::Clone(cluster->connection);
  if (!publish["name"]) publish["name"] = "artery " + cluster->node + " " + channel.name + "/ingress";
  publish["subject"] = subject;
  publish["stream"] = stream;
  publish["create"] = true;
  publish["replicas"] = block.replicas;
  publish["retention"] = "workqueue";
  if (block.per_key) {
    // Both halves create-or-update the one stream: the same subjects, or
    // each start would undo the other's.
    publish["partitions"] = block.partitions;
    publish["partition_key"] = block.key;
    publish["subjects"].push_back(subject + ".*");
  }
  ConnectorOptions publish_options =
      config::check_connector_options(publish, at, *destination_schema, {}, "cluster (nats destination)", source);
  if (source.error_count() != errors_before) return false;

  auto ingress = std::make_shared<ChannelConfig>();
  ingress->file = channel.file;
  ingress->name = cluster_ingress_name(channel.name);
  ingress->cluster_ingress_of = channel.name;
  ingress->description = "the receiving half of clustered channel " + channel.name;
  ingress->enabled = channel.enabled;
  ingress->source = channel.source;
  ingress->data_type = channel.data_type;
  ingress->retention = channel.retention;
  ingress->ack = AckMode::after_delivery;
  DestinationConfig to_stream;
  to_stream.name = "cluster-" + cluster->node;
  to_stream.connector.type = "nats";
  to_stream.connector.options = std::move(publish_options);
  to_stream.connector.location = block.location;
  to_stream.retry = ingress_retry();
  to_stream.location = block.location;
  ingress->destinations.push_back(std::move(to_stream));

  channel.source.type = "nats";
  channel.source.options = std::move(pull_options);
  channel.source.location = block.location;
  channel.ack = AckMode::after_delivery;
  channel.cluster_ingress = std::move(ingress);
  return true;
}

}  // namespace artery
