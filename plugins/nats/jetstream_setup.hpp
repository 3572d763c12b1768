// Creating (or checking) a JetStream stream and a durable pull consumer, so a
// channel with `create: true` works against an empty NATS, and one without
// gets a clear error when what it names is missing.
#pragma once
#include "nats_connection.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace artery::nats {

struct StreamSettings {
  std::string name;
  std::vector<std::string> subjects;
  bool file_storage = true;   // storage: file|memory
  int replicas = 1;
  bool work_queue = true;     // retention: workqueue (removed once acked) | limits
  std::chrono::milliseconds max_age{0};                 // 0: keep until acked / the limits
  std::chrono::milliseconds duplicate_window{120'000};  // Nats-Msg-Id dedup window
  std::int64_t max_messages = -1;
  std::int64_t max_bytes = -1;
};

struct ConsumerSettings {
  std::string durable;
  std::string filter_subject;  // "": every subject of the stream
  std::chrono::milliseconds ack_wait{30'000};
  int max_deliver = 5;  // -1: unlimited
  int max_ack_pending = 1000;
};

// Adds the stream, or updates it when it exists with other settings. False
// with `error` (the server's words and code).
bool ensure_stream(NatsConnection& connection, const StreamSettings& stream, std::string& error);
// Whether the stream exists; false with `error` saying so (or why it could not be asked).
bool stream_exists(NatsConnection& connection, const std::string& stream, std::string& error);
bool ensure_consumer(NatsConnection& connection, const std::string& stream, const ConsumerSettings& consumer,
                     std::string& error);
bool consumer_exists(NatsConnection& connection, const std::string& stream, const std::string& durable,
                     std::string& error);

// What a stream holds now (for tests and operators).
struct StreamState {
  std::uint64_t messages = 0;
  std::uint64_t first_sequence = 0, last_sequence = 0;
  int replicas = 0;
  std::string leader;  // the cluster's leader of this stream ("" single server)
};
bool read_stream_state(NatsConnection& connection, const std::string& stream, StreamState& state,
                       std::string& error);

struct ConsumerState {
  std::uint64_t pending = 0;      // not yet delivered
  std::uint64_t ack_pending = 0;  // delivered, waiting for an ack
  std::uint64_t redelivered = 0;
  std::uint64_t delivered = 0;    // consumer sequence delivered so far
  // Its configuration, which is what the server enforces (whatever a
  // channel's options say when it did not create the consumer).
  int max_deliver = -1;
  std::chrono::milliseconds ack_wait{0};
  int max_ack_pending = 0;  // 0: not reported
};
bool read_consumer_state(NatsConnection& connection, const std::string& stream, const std::string& durable,
                         ConsumerState& state, std::string& error);

}  // namespace artery::nats
