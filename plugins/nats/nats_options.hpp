// The nats source's and destination's option tables (the README's tables
// follow them) and their typed settings.
#pragma once
#include "connection_options.hpp"
#include "jetstream_setup.hpp"

#include <artery/options.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace artery::nats {

extern const OptionSpec* const kSourceOptions;
extern const std::size_t kSourceOptionCount;
extern const OptionSpec* const kDestinationOptions;
extern const std::size_t kDestinationOptionCount;

// Partitions of one subject at most (`partitions:`): each is a consumer and,
// on the source, a thread.
inline constexpr int kMaxPartitions = 1024;

struct SourceSettings {
  ConnectionSettings connection;
  bool create = false;      // create (or update) the stream and the consumer
  StreamSettings stream;    // name always; the rest with create
  ConsumerSettings consumer;
  // > 0: consumers <durable>-p<i> on <filter_subject>.<i>, one message in
  // flight each (partitioned_subject.hpp); consumer is their template.
  int partitions = 0;
  int batch = 64;
  std::chrono::milliseconds fetch_wait{1000};
  std::chrono::milliseconds nak_delay{1000};      // first redelivery delay after a failure, doubled per delivery
  std::chrono::milliseconds max_nak_delay{60'000};
  std::string data_type = "hl7v2";
};

struct DestinationSettings {
  ConnectionSettings connection;
  bool jetstream = true;
  std::string subject;  // a ${var} template
  std::string msg_id;   // a ${var} template; "": <channel>/<destination>/<message id>
  std::string stream;   // "" any stream capturing the subject; with create: the one created
  bool create = false;
  StreamSettings stream_settings;
  std::chrono::milliseconds publish_timeout{5000};
  int partitions = 0;         // > 0: publish to <subject>.<p> (partitioned_subject.hpp)
  std::string partition_key;  // an HL7 path or a ${var} template
};

// Null with `error` ("file:line:col: key: what is wrong").
std::optional<SourceSettings> read_source_settings(const ConnectorOptions& options, const std::string& base_dir,
                                                   const std::string& channel, std::string& error);
std::optional<DestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                             const std::string& base_dir, const std::string& channel,
                                                             const std::string& destination, std::string& error);

}  // namespace artery::nats
