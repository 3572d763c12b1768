// What the alert runner reports: events (a rule fired or resolved on a
// channel, and what became of its notifications) and each rule's state now.
// Plain data for the admin API (GET /api/alerts), the audit log and the console.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace artery {

// One notification of one event to one target.
struct AlertDelivery {
  std::string target;  // the target's name in alerts.targets
  std::string type;    // webhook | email
  bool ok = false;
  int attempts = 0;
  std::string error;   // the last attempt's failure (status and body, or the SMTP reply)
};

struct AlertEvent {
  std::int64_t id = 0;      // increasing from 1 in this run of the engine
  std::string kind;         // "fired" | "resolved"
  std::string rule;
  std::string channel;
  std::string condition;    // errors | queue_depth | oldest_queued | state
  std::string reason;       // in words: "12 errors in the last 5m (alert at 10)"
  std::int64_t value = 0;
  std::int64_t threshold = 0;
  std::int64_t at_ms = 0;   // Unix time of the change
  // pending (being sent), ok (every target took it), failed (some target did
  // not, after retries), suppressed (inside the rule's quiet period: not
  // sent), none (the rule names no targets).
  std::string delivery = "pending";
  std::vector<AlertDelivery> deliveries;
};

// One rule on one channel (a "*" rule has one per deployed channel).
struct AlertRuleStatus {
  std::string rule;
  std::string channel;
  std::string condition;
  bool firing = false;
  std::int64_t since_ms = 0;  // when it started firing (0 when not firing)
  std::int64_t value = 0;     // the condition's latest reading
  std::int64_t threshold = 0;
  std::string reason;         // the latest reading in words
  std::int64_t last_notified_ms = 0;  // last "fired" notification sent (0: none yet)
};

}  // namespace artery
