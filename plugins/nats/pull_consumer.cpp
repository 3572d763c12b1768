#include "pull_consumer.hpp"

#include <nats/nats.h>

namespace artery::nats {

namespace {
std::string problem(natsStatus s, const char* what) {
  return s == NATS_OK ? std::string() : std::string(what) + ": " + describe_status(s);
}
}  // namespace

JetStreamMessage::JetStreamMessage(natsMsg* msg) : msg_(msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) == NATS_OK && meta) {
    deliveries_ = meta->NumDelivered;
    stream_sequence_ = meta->Sequence.Stream;
    stream_ = meta->Stream ? meta->Stream : "";
    jsMsgMetaData_Destroy(meta);
  }
}

JetStreamMessage::~JetStreamMessage() { natsMsg_Destroy(msg_); }

std::string JetStreamMessage::subject() const { return natsMsg_GetSubject(msg_); }

std::string JetStreamMessage::data() const {
  return std::string(natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_)));
}

std::optional<std::string> JetStreamMessage::header(const char* name) const {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg_, name, &value) != NATS_OK || !value) return std::nullopt;
  return std::string(value);
}

std::string JetStreamMessage::ack() { return problem(natsMsg_Ack(msg_, nullptr), "ack"); }
std::string JetStreamMessage::nak(std::chrono::milliseconds delay) {
  return problem(natsMsg_NakWithDelay(msg_, delay.count(), nullptr), "nak");
}
std::string JetStreamMessage::in_progress() { return problem(natsMsg_InProgress(msg_, nullptr), "in progress"); }
std::string JetStreamMessage::term() { return problem(natsMsg_Term(msg_, nullptr), "term"); }

std::unique_ptr<PullConsumer> PullConsumer::bind(NatsConnection& connection, const std::string& stream,
                                                 const std::string& durable, std::string& error) {
  std::unique_ptr<PullConsumer> self(new PullConsumer());
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream.c_str();
  options.Consumer = durable.c_str();
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_PullSubscribe(&self->subscription_, connection.jetstream(), nullptr, durable.c_str(), nullptr, &options, &code);
  if (s != NATS_OK) {
    error = "cannot bind to consumer " + durable + " of stream " + stream + ": " + describe_status(s);
    if (code != 0) error += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    return nullptr;
  }
  return self;
}

PullConsumer::~PullConsumer() {
  // Destroy only: unsubscribing a bound durable pull subscription would not
  // delete the consumer, but Destroy is all that is needed to stop pulling.
  if (subscription_) natsSubscription_Destroy(subscription_);
}

std::vector<std::unique_ptr<JetStreamMessage>> PullConsumer::fetch(int batch, std::chrono::milliseconds wait,
                                                                   std::string& error) {
  error.clear();
  std::vector<std::unique_ptr<JetStreamMessage>> out;
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = natsSubscription_Fetch(&list, subscription_, batch, wait.count(), &code);
  if (s == NATS_OK) {
    out.reserve(static_cast<std::size_t>(list.Count));
    for (int i = 0; i < list.Count; ++i) {
      out.push_back(std::make_unique<JetStreamMessage>(list.Msgs[i]));
      list.Msgs[i] = nullptr;  // owned by the JetStreamMessage now
    }
  } else if (s != NATS_TIMEOUT) {
    error = "fetch: " + describe_status(s);
    if (code != 0) error += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  }
  natsMsgList_Destroy(&list);
  return out;
}

}  // namespace artery::nats
