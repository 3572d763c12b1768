#include "jetstream_setup.hpp"

#include <nats/nats.h>

namespace artery::nats {

namespace {

constexpr std::int64_t kNanosPerMilli = 1'000'000;
// JetStream API error codes (nats-server's errors.json).
constexpr int kStreamNotFound = 10059;
constexpr int kConsumerNotFound = 10014;

std::string api_error(const std::string& what, natsStatus status, jsErrCode code) {
  std::string text = what + ": " + describe_status(status);
  if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return text;
}

}  // namespace

bool ensure_stream(NatsConnection& connection, const StreamSettings& s, std::string& error) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = s.name.c_str();
  std::vector<const char*> subjects;
  for (const auto& subject : s.subjects) subjects.push_back(subject.c_str());
  config.Subjects = subjects.data();
  config.SubjectsLen = static_cast<int>(subjects.size());
  config.Storage = s.file_storage ? js_FileStorage : js_MemoryStorage;
  config.Retention = s.work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
  config.Replicas = s.replicas;
  config.MaxAge = s.max_age.count() * kNanosPerMilli;
  config.Duplicates = s.duplicate_window.count() * kNanosPerMilli;
  config.MaxMsgs = s.max_messages;
  config.MaxBytes = s.max_bytes;

  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_AddStream(&info, connection.jetstream(), &config, nullptr, &code);
  if (status != NATS_OK && code != 0) {
    // It exists with other settings: bring it to these (the server refuses
    // what cannot change, such as the storage type, with its reason).
    jsStreamInfo_Destroy(info);
    info = nullptr;
    code = static_cast<jsErrCode>(0);
    status = js_UpdateStream(&info, connection.jetstream(), &config, nullptr, &code);
  }
  jsStreamInfo_Destroy(info);
  if (status == NATS_OK) return true;
  error = api_error("cannot create stream " + s.name, status, code);
  return false;
}

bool stream_exists(NatsConnection& connection, const std::string& stream, std::string& error) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_GetStreamInfo(&info, connection.jetstream(), stream.c_str(), nullptr, &code);
  jsStreamInfo_Destroy(info);
  if (status == NATS_OK) return true;
  error = code == kStreamNotFound || status == NATS_NOT_FOUND
              ? "stream " + stream + " does not exist (create it, or set create: true)"
              : api_error("cannot read stream " + stream, status, code);
  return false;
}

bool ensure_consumer(NatsConnection& connection, const std::string& stream, const ConsumerSettings& c,
                     std::string& error) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = c.durable.c_str();
  config.AckPolicy = js_AckExplicit;
  config.DeliverPolicy = js_DeliverAll;
  config.AckWait = c.ack_wait.count() * kNanosPerMilli;
  config.MaxDeliver = c.max_deliver;
  config.MaxAckPending = c.max_ack_pending;
  if (!c.filter_subject.empty()) config.FilterSubject = c.filter_subject.c_str();
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_AddConsumer(&info, connection.jetstream(), stream.c_str(), &config, nullptr, &code);
  if (status != NATS_OK && code != 0 && code != kStreamNotFound) {
    jsConsumerInfo_Destroy(info);
    info = nullptr;
    code = static_cast<jsErrCode>(0);
    status = js_UpdateConsumer(&info, connection.jetstream(), stream.c_str(), &config, nullptr, &code);
  }
  jsConsumerInfo_Destroy(info);
  if (status == NATS_OK) return true;
  error = api_error("cannot create consumer " + c.durable + " on stream " + stream, status, code);
  return false;
}

bool consumer_exists(NatsConnection& connection, const std::string& stream, const std::string& durable,
                     std::string& error) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status =
      js_GetConsumerInfo(&info, connection.jetstream(), stream.c_str(), durable.c_str(), nullptr, &code);
  jsConsumerInfo_Destroy(info);
  if (status == NATS_OK) return true;
  if (code == kStreamNotFound) error = "stream " + stream + " does not exist (create it, or set create: true)";
  else if (code == kConsumerNotFound || status == NATS_NOT_FOUND)
    error = "consumer " + durable + " does not exist on stream " + stream + " (create it, or set create: true)";
  else error = api_error("cannot read consumer " + durable + " of stream " + stream, status, code);
  return false;
}

bool read_stream_state(NatsConnection& connection, const std::string& stream, StreamState& state,
                       std::string& error) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_GetStreamInfo(&info, connection.jetstream(), stream.c_str(), nullptr, &code);
  if (status != NATS_OK) {
    error = api_error("cannot read stream " + stream, status, code);
    return false;
  }
  state.messages = info->State.Msgs;
  state.first_sequence = info->State.FirstSeq;
  state.last_sequence = info->State.LastSeq;
  state.replicas = info->Config ? static_cast<int>(info->Config->Replicas) : 0;
  state.leader = info->Cluster && info->Cluster->Leader ? info->Cluster->Leader : "";
  jsStreamInfo_Destroy(info);
  return true;
}

bool read_consumer_state(NatsConnection& connection, const std::string& stream, const std::string& durable,
                         ConsumerState& state, std::string& error) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status =
      js_GetConsumerInfo(&info, connection.jetstream(), stream.c_str(), durable.c_str(), nullptr, &code);
  if (status != NATS_OK) {
    error = api_error("cannot read consumer " + durable, status, code);
    return false;
  }
  state.pending = info->NumPending;
  state.ack_pending = static_cast<std::uint64_t>(info->NumAckPending);
  state.redelivered = static_cast<std::uint64_t>(info->NumRedelivered);
  state.delivered = info->Delivered.Consumer;
  if (info->Config) {
    state.max_deliver = static_cast<int>(info->Config->MaxDeliver);
    state.ack_wait = std::chrono::milliseconds(info->Config->AckWait / kNanosPerMilli);
    state.max_ack_pending = static_cast<int>(info->Config->MaxAckPending);
  }
  jsConsumerInfo_Destroy(info);
  return true;
}

}  // namespace artery::nats
