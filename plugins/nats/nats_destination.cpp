#include "nats_destination.hpp"

#include "jetstream_publisher.hpp"
#include "jetstream_setup.hpp"
#include "nats_connection.hpp"
#include "partitioned_subject.hpp"

#include <mutex>

namespace artery::nats {

std::optional<std::string> delivery_msg_id(const DestinationSettings& settings, const std::string& channel,
                                           const std::string& destination, const OutboundMessage& message,
                                           std::string& problem) {
  if (settings.msg_id.empty()) return channel + "/" + destination + "/" + std::to_string(message.message_id);
  return expand_template(settings.msg_id, message.vars, &problem);
}

namespace {

class NatsDestination final : public Destination {
 public:
  NatsDestination(DestinationSettings settings, Headers headers, ConnectorContext& context)
      : s_(std::move(settings)), headers_(std::move(headers)), context_(context) {}

  bool start(std::string& error) override {
    // Credentials and settings are checked now; a NATS that is not up yet
    // is not: the engine keeps the deliveries queued and retries them.
    connection_ = NatsConnection::open_or_retry(
        s_.connection, [this](LogLevel level, std::string_view text) { context_.log(level, text); }, error);
    if (!connection_) return false;
    if (s_.create && connection_->connected() && !ensure_stream(*connection_, s_.stream_settings, error)) {
      connection_.reset();
      return false;
    }
    stream_ready_ = !s_.create || connection_->connected();
    return true;
  }

  void stop() override { connection_.reset(); }

  void send(OutboundMessage message, std::function<void(SendResult)> done) override {
    done(publish(message));
  }

 private:
  SendResult publish(const OutboundMessage& message) {
    SendResult result;
    auto fail = [&](SendResult::Status status, std::string why) {
      context_.metrics().add_error(status == SendResult::Status::rejected ? ConnectorError::rejected
                                                                          : ConnectorError::io);
      result.status = status;
      result.error = std::move(why);
      return result;
    };
    if (!connection_) return fail(SendResult::Status::retry, "not started");
    std::string problem;
    auto subject = expand_template(s_.subject, message.vars, &problem);
    if (!subject) return fail(SendResult::Status::rejected, "subject: " + problem);
    // Same message, same key, same partition: a retry goes to the same
    // subject with the same Nats-Msg-Id, so the stream's dedup still works.
    if (s_.partitions > 0)
      *subject = partition_subject(*subject, partition_of(message_key(s_.partition_key, message), s_.partitions));
    Headers headers;
    for (const auto& [name, value] : headers_) {
      auto expanded = expand_template(value, message.vars, &problem);
      if (!expanded) return fail(SendResult::Status::rejected, "headers." + name + ": " + problem);
      headers.emplace_back(name, *expanded);
    }
    if (!stream_ready_) {
      // The stream of create: true, once NATS is reachable.
      std::string error;
      if (!connection_->connected() || !ensure_stream(*connection_, s_.stream_settings, error))
        return fail(SendResult::Status::retry, error.empty() ? "NATS not connected yet" : error);
      stream_ready_ = true;
    }
    PublishOutcome outcome;
    if (s_.jetstream) {
      auto id = delivery_msg_id(s_, context_.channel(), context_.connector(), message, problem);
      if (!id) return fail(SendResult::Status::rejected, "msg_id: " + problem);
      outcome = publish_to_stream(*connection_, *subject, message.content, *id, headers, s_.stream,
                                  s_.publish_timeout);
    } else {
      outcome = publish_core(*connection_, *subject, message.content, headers, s_.publish_timeout);
    }
    switch (outcome.status) {
      case PublishOutcome::Status::stored:
        // A duplicate was stored by an earlier try of this delivery (its
        // PubAck lost): the stream has it once, which is what was asked.
        result.response = "stream " + outcome.stream + " sequence " + std::to_string(outcome.sequence) +
                          (outcome.duplicate ? " (duplicate)" : "");
        break;
      case PublishOutcome::Status::sent:
        result.response = "published to " + *subject;
        break;
      case PublishOutcome::Status::transient:
        return fail(SendResult::Status::retry, outcome.error);
      case PublishOutcome::Status::refused:
        return fail(SendResult::Status::rejected, outcome.error);
    }
    context_.metrics().add_request();
    context_.metrics().add_bytes_out(message.content.size());
    return result;
  }

  DestinationSettings s_;
  Headers headers_;
  ConnectorContext& context_;
  std::unique_ptr<NatsConnection> connection_;
  bool stream_ready_ = true;
};

// headers: name: value pairs, in the order written.
Headers read_headers(const ConnectorOptions& options, std::string& error) {
  Headers headers;
  auto block = options.tree.get_child_optional("headers");
  if (!block) return headers;
  for (const auto& [name, value] : *block) {
    if (!value.empty()) {
      error = options.location_of("headers." + name) + ": headers." + name + ": must be a text value";
      return {};
    }
    if (auto problem = check_template(value.data()); !problem.empty()) {
      error = options.location_of("headers." + name) + ": headers." + name + ": " + problem;
      return {};
    }
    headers.emplace_back(name, value.data());
  }
  return headers;
}

}  // namespace

std::unique_ptr<Destination> create_nats_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                     std::string& error) {
  auto settings =
      read_destination_settings(options, context.base_dir().string(), context.channel(), context.connector(), error);
  if (!settings) return nullptr;
  auto headers = read_headers(options, error);
  if (!error.empty()) return nullptr;
  return std::make_unique<NatsDestination>(std::move(*settings), std::move(headers), context);
}

}  // namespace artery::nats
