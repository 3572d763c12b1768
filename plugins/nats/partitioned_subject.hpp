// Partitioned subjects (`partitions: N` on the nats source and destination):
// a message goes to `<subject>.<p>`, p = a stable hash of its key mod N, so
// every message of one key (a patient) lands on one subject, and a consumer
// of that subject with one message in flight delivers them in stream order.
// Clustered channels with `order: per-key` are built on this
// (docs/cluster.md); it is usable on its own too (README.md).
#pragma once
#include <artery/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace artery::nats {

// FNV-1a (64-bit) of the key's bytes, mod `partitions`. Written out here, not
// std::hash, because every node (and every future build) must put one key in
// the same partition. The empty key (a message without one) is partition 0.
int partition_of(std::string_view key, int partitions);

// A message's key, as `partition_key` says: a `${var}` template (over
// ctx.vars and ${source.*}), else an HL7 path such as PID-3.1, read from the
// message when it is HL7 v2. "" when there is none (no such field, not HL7,
// a variable the message lacks): the message goes to partition 0.
std::string message_key(const std::string& partition_key, const OutboundMessage& message);

// `<subject>.<p>`: the subject of partition p.
std::string partition_subject(const std::string& subject, int partition);

}  // namespace artery::nats
