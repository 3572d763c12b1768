// A bound durable pull consumer: fetch batches, and each fetched message's
// explicit acknowledgement (ack, nak with a delay, in-progress, term).
#pragma once
#include "nats_connection.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct __natsSubscription;
struct __natsMsg;

namespace artery::nats {

// One delivered JetStream message. Acknowledge it at most once (ack, nak or
// term; in_progress any number of times before). Thread-safe enough for the
// pattern here: one owner acks, from whichever thread.
class JetStreamMessage {
 public:
  explicit JetStreamMessage(__natsMsg* msg);
  ~JetStreamMessage();
  JetStreamMessage(const JetStreamMessage&) = delete;
  JetStreamMessage& operator=(const JetStreamMessage&) = delete;

  std::string subject() const;
  std::string data() const;
  std::optional<std::string> header(const char* name) const;
  std::uint64_t deliveries() const { return deliveries_; }  // 1 on the first delivery
  std::uint64_t stream_sequence() const { return stream_sequence_; }
  const std::string& stream() const { return stream_; }

  // Each returns "" or what went wrong (the server then redelivers after
  // AckWait). They are sent without waiting: flush the connection to know
  // the server has them.
  std::string ack();
  std::string nak(std::chrono::milliseconds delay);
  std::string in_progress();
  std::string term();

 private:
  __natsMsg* msg_;
  std::uint64_t deliveries_ = 1;
  std::uint64_t stream_sequence_ = 0;
  std::string stream_;
};

class PullConsumer {
 public:
  // Binds to the existing durable consumer `durable` of `stream` (create it
  // first with ensure_consumer). Null with `error`.
  static std::unique_ptr<PullConsumer> bind(NatsConnection& connection, const std::string& stream,
                                            const std::string& durable, std::string& error);
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `batch` messages, waiting at most `wait` for the first. An empty
  // batch with `error` "" is a quiet stream; with `error` set, NATS failed
  // (disconnected, consumer deleted...).
  std::vector<std::unique_ptr<JetStreamMessage>> fetch(int batch, std::chrono::milliseconds wait, std::string& error);

 private:
  PullConsumer() = default;
  __natsSubscription* subscription_ = nullptr;
};

}  // namespace artery::nats
