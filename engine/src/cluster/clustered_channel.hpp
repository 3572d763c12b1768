// A clustered channel (`cluster:` in the channel, docs/cluster.md) as two
// halves, both made of the nats plugin's ordinary connectors, so the engine
// core reaches NATS only through the plugin and never links nats.c:
//
//   ingress half  `<name>-ingress`: the channel's own source -> one `nats`
//                 destination publishing into the replicated JetStream
//                 work-queue stream, with `ack: after-delivery`, so the
//                 sender's ACK goes out only once the stream's PubAck is
//                 back (the message is on a quorum of NATS servers).
//   processing    `<name>`: a `nats` source, a durable pull consumer shared
//   half          by every node (same durable name), then the channel's
//                 script and destinations, also with `ack: after-delivery`:
//                 the nats source acknowledges to JetStream only once the
//                 destination has finished (it sends "in progress" while it
//                 waits), so a node that dies with messages pulled, stored
//                 and still queued for delivery has them redelivered to the
//                 others after ack_wait instead of waiting for it to return.
//
// With `order: per-key` both halves are partitioned (the nats plugin's
// `partitions:`): the ingress half publishes to `artery.cluster.<name>.<p>`,
// p = a stable hash (FNV-1a) of the message's key mod `partitions`, and the
// processing half pulls each partition from its own durable consumer
// `artery-<name>-p<p>`, shared by every node, with max_ack_pending 1. The
// server then hands out a partition's next message only once the current one
// is acknowledged, and that ack waits for the delivery: so one message of a
// partition is ever in flight, on whichever node pulled it ("the node that
// holds the partition"). If that node dies, the message is redelivered after
// ack_wait, before anything later of its partition, to whichever node asks
// next, and order holds. Messages without a key all go to partition 0. The
// partitions spread over the nodes by themselves (each node pulls all of
// them); the price is one message in flight per partition.
//
// Why this and not a transport interface exported by the plugin: both
// halves are channels like any other (store, retries, counters, redeploy,
// pause), the plugin's source and destination already carry the guarantees
// (PubAck, Nats-Msg-Id dedup, explicit ack, max_deliver as ERROR), and
// nothing new crosses the plugin ABI.
#pragma once
#include "config/channel_config.hpp"

namespace artery {

// For a channel with `cluster:`: turns `channel` into its processing half
// and sets channel.cluster_ingress to its ingress half. A channel without
// `cluster:` is left as it is. False (with diagnostics at the channel's
// `cluster:` block) when the engine has no `cluster:` (cluster is null), the
// nats plugin is not loaded, or the options do not check against its schema.
bool split_clustered_channel(ChannelConfig& channel, const ClusterSettings* cluster, const PluginCatalog& plugins,
                             Diagnostics& diagnostics);

// The names the halves use in NATS, shared by every node.
std::string cluster_stream_name(const ChannelConfig& channel);  // cluster.stream, or ARTERY_<NAME>
std::string cluster_subject(const std::string& channel);        // artery.cluster.<name>
std::string cluster_ingress_name(const std::string& channel);   // <name>-ingress

}  // namespace artery
