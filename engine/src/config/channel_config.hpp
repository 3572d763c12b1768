// Channels as written in YAML, checked and with defaults filled in.
#pragma once
#include "config/consent_config.hpp"
#include "config/diagnostic.hpp"

#include <artery/options.hpp>
#include <artery/plugin.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace artery {

struct RetryPolicy {
  int max = 10;  // attempts after the first; then the delivery is ERROR
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max_delay{300'000};
  bool retry_rejected = false;  // also retry sends the connector calls permanent
};

struct RetentionPolicy {
  std::optional<std::chrono::milliseconds> max_age;  // retention.days
  std::optional<std::int64_t> max_count;             // retention.count
};

struct ConnectorConfig {
  std::string type;  // plugin name
  ConnectorOptions options;  // plugin keys only, defaults filled in
  std::string location;      // "file:line:col" of the block
};

struct DestinationConfig {
  std::string name;
  bool enabled = true;
  ConnectorConfig connector;
  std::filesystem::path script;  // empty: none
  RetryPolicy retry;
  std::string location;
  // `after:` destinations of the same channel whose delivery of a message ends
  // (SENT, FILTERED or ERROR) before this one's starts; their responses and
  // states are its script's ctx.responses / ctx.states.
  std::vector<std::string> after;
};

// What a test expects of one stage's output: the channel's, or a destination's
// (after its own script).
struct OutputExpectation {
  std::vector<std::string> output_contains;
  std::optional<std::string> output_equals;
  std::optional<bool> filtered;
  std::optional<std::string> error_contains;
};

struct DestinationExpectation : OutputExpectation {
  std::string destination;
  std::optional<std::string> filename;  // the destination's `filename` template, resolved
  std::string location;
};

struct ChannelTestCase {
  std::string name;
  std::filesystem::path input;  // file with the message
  std::string input_text;        // or inline `input_text:`
  // ctx.source as a source connector would set it (`source:` in the test);
  // a file input also sets filename, as the file source does.
  std::vector<std::pair<std::string, std::string>> source;
  std::map<std::string, std::string> expect_vars;
  OutputExpectation expect;
  std::optional<std::string> response_contains;
  std::vector<DestinationExpectation> destinations;
  std::string location;
};

enum class AckMode { after_store, after_delivery };

// A channel's `cluster:` block (docs/cluster.md): the JetStream work queue
// its messages pass through between the node that received them and the
// node that processes them.
struct ChannelClusterBlock {
  std::string stream;  // default: ARTERY_<NAME>
  int replicas = 3;
  std::chrono::milliseconds ack_wait{30'000};
  int max_deliver = 5;
  int batch = 16;  // messages one node pulls at a time: smaller spreads the work more evenly
  // `order: per-key`: the work queue is split into `partitions` subjects by
  // a stable hash of `key`, each consumed with one message in flight, so a
  // key's messages are delivered in the order they were acknowledged
  // (clustered_channel.hpp). false: `order: none`, any node, any order.
  bool per_key = false;
  std::string key = "PID-3.1";  // an HL7 path, or a ${source.*} template
  int partitions = 16;
  std::string location;  // "file:line:col" of the block
  int line = 0, column = 0;  // the same, 0-based, for diagnostics made later
};

struct ChannelConfig;
// The engine's `cluster:` block (cluster/cluster_settings.hpp).
struct ClusterSettings;

struct ChannelConfig {
  std::filesystem::path file;  // absolute path of the YAML
  std::string name;
  std::string description;
  bool enabled = true;
  ConnectorConfig source;
  std::string data_type;          // from source.data_type or the plugin's default
  std::filesystem::path script;   // empty: none (absolute)
  int workers = 1;
  RetentionPolicy retention;
  AckMode ack = AckMode::after_store;
  std::vector<DestinationConfig> destinations;
  std::vector<ChannelTestCase> tests;
  std::optional<ConsentFilterConfig> consent;  // `consent:` (config/consent_config.hpp)
  // Clustered (cluster/clustered_channel.hpp): `cluster` as written; once
  // split, this config is the processing half (a nats source on the shared
  // work queue, the script and destinations) and `cluster_ingress` the half
  // that takes the channel's own source and publishes into the work queue.
  std::optional<ChannelClusterBlock> cluster;
  std::shared_ptr<const ChannelConfig> cluster_ingress;
  // Set on an ingress half: the clustered channel it receives for.
  std::string cluster_ingress_of;
};

// What the config loader needs to know about plugins (their option schemas).
struct ConnectorSchema {
  std::vector<OptionSpec> options;
  std::string default_data_type;
};
class PluginCatalog {
 public:
  virtual ~PluginCatalog() = default;
  virtual const ConnectorSchema* source_schema(const std::string& type) const = 0;
  virtual const ConnectorSchema* destination_schema(const std::string& type) const = 0;
  virtual std::vector<std::string> types() const = 0;  // for "did you mean" / listing
};

// Loads one channel file. Every problem goes to `diagnostics`; nullopt if any
// was an error (an invalid channel never half-deploys).
std::optional<ChannelConfig> load_channel(const std::filesystem::path& file, const PluginCatalog& plugins,
                                          Diagnostics& diagnostics, const ClusterSettings* cluster = nullptr);

// Loads channel files and directories (every *.yaml/*.yml inside, not
// recursive); also reports duplicate channel names across files. `cluster`:
// the engine's `cluster:` block, null when it has none; a channel with
// `cluster:` is then an error, and with it such a channel is split in two.
std::vector<ChannelConfig> load_channels(const std::vector<std::filesystem::path>& paths,
                                         const PluginCatalog& plugins, Diagnostics& diagnostics,
                                         const ClusterSettings* cluster = nullptr);

}  // namespace artery
