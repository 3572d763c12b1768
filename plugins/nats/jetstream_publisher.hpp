// Publishing one message: to a JetStream stream, confirmed by its PubAck and
// deduplicated by Nats-Msg-Id; or plain core NATS, confirmed by a flush.
#pragma once
#include "nats_connection.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace artery::nats {

struct PublishOutcome {
  enum class Status {
    stored,     // the stream's PubAck came back (also for a duplicate)
    sent,       // core NATS: the server has it (flushed); no one promised to keep it
    transient,  // timeout, no stream, disconnected...: try again later
    refused,    // will never succeed as it is (too large for the server)
  };
  Status status = Status::transient;
  bool duplicate = false;      // the stream had this Nats-Msg-Id inside its window already
  std::uint64_t sequence = 0;  // the stream's sequence of the stored (or earlier) copy
  std::string stream;
  std::string error;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// `msg_id` "" sends no Nats-Msg-Id. `expect_stream` "" accepts any stream
// that captures the subject.
PublishOutcome publish_to_stream(NatsConnection& connection, const std::string& subject, const std::string& payload,
                                 const std::string& msg_id, const Headers& headers, const std::string& expect_stream,
                                 std::chrono::milliseconds timeout);
PublishOutcome publish_core(NatsConnection& connection, const std::string& subject, const std::string& payload,
                            const Headers& headers, std::chrono::milliseconds timeout);

}  // namespace artery::nats
