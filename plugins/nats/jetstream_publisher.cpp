#include "jetstream_publisher.hpp"

#include <nats/nats.h>

#include <memory>

namespace artery::nats {

namespace {

using MessagePtr = std::unique_ptr<natsMsg, void (*)(natsMsg*)>;

MessagePtr make_message(const std::string& subject, const std::string& payload, const Headers& headers,
                        const std::string& msg_id, std::string& error) {
  natsMsg* msg = nullptr;
  const natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  if (s != NATS_OK) {
    error = "cannot build the NATS message: " + describe_status(s);
    return {nullptr, natsMsg_Destroy};
  }
  MessagePtr owned(msg, natsMsg_Destroy);
  for (const auto& [name, value] : headers) natsMsgHeader_Add(msg, name.c_str(), value.c_str());
  if (!msg_id.empty()) natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
  return owned;
}

PublishOutcome failed(natsStatus status, const std::string& what) {
  PublishOutcome out;
  out.status = status == NATS_MAX_PAYLOAD ? PublishOutcome::Status::refused : PublishOutcome::Status::transient;
  out.error = what + ": " + describe_status(status);
  if (status == NATS_NO_RESPONDERS) out.error += " (no stream captures this subject, or its leader is not elected yet)";
  return out;
}

}  // namespace

PublishOutcome publish_to_stream(NatsConnection& connection, const std::string& subject, const std::string& payload,
                                 const std::string& msg_id, const Headers& headers, const std::string& expect_stream,
                                 std::chrono::milliseconds timeout) {
  PublishOutcome out;
  auto msg = make_message(subject, payload, headers, msg_id, out.error);
  if (!msg) return out;
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = timeout.count();
  if (!expect_stream.empty()) options.ExpectStream = expect_stream.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PublishMsg(&ack, connection.jetstream(), msg.get(), &options, &code);
  if (s != NATS_OK) {
    out = failed(s, "JetStream publish to " + subject);
    if (code != 0) out.error += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    jsPubAck_Destroy(ack);
    return out;
  }
  out.status = PublishOutcome::Status::stored;
  out.duplicate = ack->Duplicate;
  out.sequence = ack->Sequence;
  out.stream = ack->Stream ? ack->Stream : "";
  jsPubAck_Destroy(ack);
  return out;
}

PublishOutcome publish_core(NatsConnection& connection, const std::string& subject, const std::string& payload,
                            const Headers& headers, std::chrono::milliseconds timeout) {
  PublishOutcome out;
  auto msg = make_message(subject, payload, headers, "", out.error);
  if (!msg) return out;
  natsStatus s = natsConnection_PublishMsg(connection.raw(), msg.get());
  if (s != NATS_OK) return failed(s, "NATS publish to " + subject);
  // The server's PONG after our PING: it has read the message (core NATS
  // promises no more; subscribers that are not there miss it).
  s = natsConnection_FlushTimeout(connection.raw(), timeout.count());
  if (s != NATS_OK) return failed(s, "NATS publish to " + subject + " (flush)");
  out.status = PublishOutcome::Status::sent;
  return out;
}

}  // namespace artery::nats
