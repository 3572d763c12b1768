#include "nats_options.hpp"

#include <artery/hl7.hpp>
#include <artery/option_reader.hpp>

#include <array>

namespace artery::nats {

namespace {

// Stream keys, used by the source and the destination with create: true.
#define ARTERY_NATS_STREAM_OPTIONS(who)                                                                        \
  {"subjects", "list", "", false,                                                                              \
   "With create: the stream's subjects (default: the " who "'s subject)"},                                     \
      {"storage", "enum:file|memory", "file", false, "With create: where the stream keeps messages"},          \
      {"replicas", "int", "1", false, "With create: copies of the stream in the NATS cluster (1, 3 or 5)"},    \
      {"retention", "enum:workqueue|limits", "workqueue", false,                                               \
       "With create: workqueue removes a message once acknowledged; limits keeps it until max_age/limits"},    \
      {"max_age", "duration", "0", false, "With create: drop messages older than this (0: no limit)"},         \
      {"duplicate_window", "duration", "2m", false,                                                            \
       "With create: how long the stream remembers a Nats-Msg-Id to drop a republished duplicate"}

constexpr auto kSourceOwn = std::to_array<OptionSpec>({
    {"stream", "string", nullptr, true, "JetStream stream to consume"},
    {"durable", "string", "", false, "Durable consumer name (default: artery-<channel>)"},
    {"filter_subject", "string", "", false, "Consume only this subject (wildcards allowed) of the stream"},
    {"partitions", "int", "0", false,
     "Consume <filter_subject>.0 .. .<N-1> in order: one durable consumer <durable>-p<i> per partition, each "
     "with one message in flight (0: one consumer, no order)"},
    {"create", "bool", "false", false,
     "Create (or update) the stream and the consumer with the settings below; false: they must exist"},
    ARTERY_NATS_STREAM_OPTIONS("source's filter_subject"),
    {"ack_wait", "duration", "30s", false,
     "With create: redeliver a message not acknowledged this long after delivery (kept alive while the engine "
     "works on it)"},
    {"max_deliver", "int", "5", false,
     "With create: deliveries of one message; the last one is recorded as ERROR without processing and "
     "terminated (-1: unlimited)"},
    {"max_ack_pending", "int", "1000", false, "With create: delivered but unacknowledged messages at most"},
    {"batch", "int", "64", false, "Messages fetched per pull request"},
    {"fetch_wait", "duration", "1s", false, "How long one pull request waits for messages"},
    {"nak_delay", "duration", "1s", false,
     "Redelivery delay after the engine could not store a message, doubled per delivery"},
    {"max_nak_delay", "duration", "1m", false, "Longest redelivery delay"},
    {"data_type", "enum:hl7v2|xml|json|text", "hl7v2", false,
     "How the channel reads the messages (the channel's own data_type wins)"},
});

constexpr auto kDestinationOwn = std::to_array<OptionSpec>({
    {"subject", "string", nullptr, true, "Subject to publish to; ${var} templates from ctx.vars"},
    {"jetstream", "bool", "true", false,
     "true: publish into a stream and count the delivery sent only on its acknowledgement; false: plain core "
     "NATS publish (notifications: no one keeps it)"},
    {"stream", "string", "", false,
     "Stream that must acknowledge the publish (default: whichever captures the subject); the stream created "
     "with create"},
    {"msg_id", "string", "", false,
     "Nats-Msg-Id template (default: <channel>/<destination>/<message id>, the same on every retry)"},
    {"publish_timeout", "duration", "5s", false, "Wait this long for the stream's acknowledgement; then retry"},
    {"partitions", "int", "0", false,
     "Publish to <subject>.<p>, p = a stable hash of the message's partition_key mod this (0: to <subject>)"},
    {"partition_key", "string", "PID-3.1", false,
     "With partitions: an HL7 path read from the message, or a ${var} template; none: partition 0"},
    {"create", "bool", "false", false, "Create (or update) the stream with the settings below at start"},
    ARTERY_NATS_STREAM_OPTIONS("destination's subject"),
    {"headers", "map", nullptr, false, "Extra message headers, name: value (${var} templates)"},
});
#undef ARTERY_NATS_STREAM_OPTIONS

constexpr auto kSourceTable = with_connection_options(kSourceOwn);
constexpr auto kDestinationTable = with_connection_options(kDestinationOwn);

StreamSettings read_stream(OptionReader& in, const std::string& name, const std::string& default_subject) {
  StreamSettings s;
  s.name = name;
  s.subjects = in.list("subjects");
  if (s.subjects.empty() && !default_subject.empty()) s.subjects.push_back(default_subject);
  s.file_storage = in.choice("storage", {"file", "memory"}) == 0;
  s.replicas = static_cast<int>(in.integer("replicas", 1, 5));
  s.work_queue = in.choice("retention", {"workqueue", "limits"}) == 0;
  s.max_age = in.duration("max_age");
  s.duplicate_window = in.duration("duplicate_window");
  return s;
}

// Stream and consumer names: JetStream refuses these characters.
void check_name(OptionReader& in, const char* key, const std::string& name) {
  if (name.find_first_of(" \t.*>/\\") != std::string::npos)
    in.fail(key, "'" + name + "' may not contain spaces, '.', '*', '>', '/' or '\\'");
}

}  // namespace

const OptionSpec* const kSourceOptions = kSourceTable.data();
const std::size_t kSourceOptionCount = kSourceTable.size();
const OptionSpec* const kDestinationOptions = kDestinationTable.data();
const std::size_t kDestinationOptionCount = kDestinationTable.size();

std::optional<SourceSettings> read_source_settings(const ConnectorOptions& options, const std::string& base_dir,
                                                   const std::string& channel, std::string& error) {
  OptionReader in(options, kSourceOptions, kSourceOptionCount);
  SourceSettings s;
  s.connection = read_connection_settings(in, base_dir, "artery " + channel + "/source");
  const std::string stream = in.required("stream");
  check_name(in, "stream", stream);
  s.create = in.boolean("create");
  s.consumer.durable = in.string("durable");
  if (s.consumer.durable.empty()) s.consumer.durable = "artery-" + channel;
  check_name(in, "durable", s.consumer.durable);
  s.consumer.filter_subject = in.string("filter_subject");
  s.partitions = static_cast<int>(in.integer("partitions", 0, kMaxPartitions));
  if (s.partitions > 0 && in.ok() &&
      (s.consumer.filter_subject.empty() || s.consumer.filter_subject.find_first_of("*>") != std::string::npos))
    in.fail("filter_subject", "partitions needs a filter_subject without wildcards (partition i is <filter_subject>.i)");
  s.stream = read_stream(in, stream, s.partitions > 0 ? s.consumer.filter_subject + ".*" : s.consumer.filter_subject);
  if (s.create && s.stream.subjects.empty())
    in.fail("subjects", "create: true needs the stream's subjects (or a filter_subject)");
  s.consumer.ack_wait = in.duration("ack_wait");
  if (s.consumer.ack_wait.count() < 1000 && in.ok()) in.fail("ack_wait", "must be at least 1s");
  s.consumer.max_deliver = static_cast<int>(in.integer("max_deliver", -1, 1'000'000));
  if (s.consumer.max_deliver == 0 && in.ok()) in.fail("max_deliver", "must be -1 (unlimited) or at least 1");
  s.consumer.max_ack_pending = static_cast<int>(in.integer("max_ack_pending", 1, 1'000'000));
  s.batch = static_cast<int>(in.integer("batch", 1, 10'000));
  s.fetch_wait = in.duration("fetch_wait");
  if (s.fetch_wait.count() < 10 && in.ok()) in.fail("fetch_wait", "must be at least 10ms");
  s.nak_delay = in.duration("nak_delay");
  s.max_nak_delay = in.duration("max_nak_delay");
  in.choice("data_type", {"hl7v2", "xml", "json", "text"});
  s.data_type = in.string("data_type");
  if (!in.ok()) {
    error = in.error();
    return std::nullopt;
  }
  return s;
}

std::optional<DestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                             const std::string& base_dir, const std::string& channel,
                                                             const std::string& destination, std::string& error) {
  OptionReader in(options, kDestinationOptions, kDestinationOptionCount);
  DestinationSettings s;
  s.connection = read_connection_settings(in, base_dir, "artery " + channel + "/" + destination);
  s.subject = in.required("subject");
  if (auto problem = check_template(s.subject); !problem.empty()) in.fail("subject", problem);
  s.jetstream = in.boolean("jetstream");
  s.stream = in.string("stream");
  if (!s.stream.empty()) check_name(in, "stream", s.stream);
  s.msg_id = in.string("msg_id");
  if (auto problem = check_template(s.msg_id); !problem.empty()) in.fail("msg_id", problem);
  s.publish_timeout = in.duration("publish_timeout");
  if (s.publish_timeout.count() <= 0 && in.ok()) in.fail("publish_timeout", "must be more than 0");
  s.create = in.boolean("create");
  s.partitions = static_cast<int>(in.integer("partitions", 0, kMaxPartitions));
  s.partition_key = in.string("partition_key");
  if (s.partitions > 0 && in.ok()) {
    if (s.partition_key.empty()) in.fail("partition_key", "must not be empty (an HL7 path such as PID-3.1, or ${var})");
    else if (s.partition_key.find("${") != std::string::npos) {
      if (auto problem = check_template(s.partition_key); !problem.empty()) in.fail("partition_key", problem);
    } else if (std::string why; !hl7::parse_path(s.partition_key, &why)) {
      in.fail("partition_key", "'" + s.partition_key + "' is neither an HL7 path (PID-3.1) nor a ${var} template: " + why);
    }
  }
  const bool subject_is_template = s.subject.find("${") != std::string::npos;
  s.stream_settings = read_stream(in, s.stream,
                                  subject_is_template ? std::string()
                                                      : (s.partitions > 0 ? s.subject + ".*" : s.subject));
  if (s.create) {
    if (!s.jetstream) in.fail("create", "needs jetstream: true");
    if (s.stream.empty()) in.fail("create", "needs stream, the name of the stream to create");
    if (s.stream_settings.subjects.empty())
      in.fail("subjects", "create: true with a templated subject needs the stream's subjects");
  }
  if (!in.ok()) {
    error = in.error();
    return std::nullopt;
  }
  return s;
}

}  // namespace artery::nats
