// What the engine config's `alerts:` block says: named notification targets
// (a webhook or an SMTP mailbox, with the same keys as the `webhook` and
// `email` destinations) and rules, each a condition on one channel or all.
// Parsed and checked by load_engine_config (config/engine_config.cpp).
#pragma once
#include "config/channel_config.hpp"

#include <artery/options.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery {

struct AlertCondition {
  enum class Kind { errors, queue_depth, oldest_queued, not_started };
  Kind kind = Kind::errors;
  std::int64_t count = 0;           // errors: at least this many in `window`; queue_depth: at least this deep
  std::chrono::milliseconds window{0};  // errors: the sliding window; oldest_queued: the age limit
};

std::string_view to_string(AlertCondition::Kind kind);

struct AlertRule {
  std::string name;
  std::string channel;  // a channel name, or "*" for every deployed channel (one alert per channel)
  AlertCondition condition;
  // The condition must hold this long before the rule fires (0: at once).
  std::chrono::milliseconds hold{0};
  // At most one "fired" notification per rule and channel in this time: an
  // outage, or a condition that flaps, sends one alert, not thousands.
  std::chrono::milliseconds quiet_period{std::chrono::minutes(15)};
  std::vector<std::string> notify;  // target names
  std::string location;             // file:line:col of the rule, for messages
};

struct AlertTarget {
  std::string name;
  std::string type;  // webhook | email
  ConnectorOptions options;  // checked against alert_target_schema(type)
  std::filesystem::path base_dir;  // relative paths (tls.ca) resolve against the config file's folder
};

struct AlertsConfig {
  std::chrono::milliseconds interval{1000};  // how often channels are sampled
  std::vector<AlertTarget> targets;
  std::vector<AlertRule> rules;
  bool empty() const { return rules.empty(); }
};

// The keys a target of this type takes: the destination's options, with
// subject and body defaults that describe the alert. nullptr for an unknown type.
const ConnectorSchema* alert_target_schema(std::string_view type);

}  // namespace artery
