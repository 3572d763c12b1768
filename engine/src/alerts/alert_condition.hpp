// Reading a rule's condition from one channel's samples: the error counter's
// growth over a sliding window, the queue depth, the age of the oldest queued
// delivery, or the channel's state. One meter per rule and channel, since the
// error window needs the channel's history.
#pragma once
#include "alerts/alert_config.hpp"
#include "runtime/channel_runtime.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace artery {

// What the runner knows about one channel at one instant.
struct ChannelSample {
  std::string channel;
  bool deployed = true;
  ChannelState state = ChannelState::stopped;
  std::string state_reason;
  std::int64_t errored = 0;  // cumulative
  std::int64_t queued = 0;
  std::optional<std::int64_t> oldest_queued_ms;  // received_at of the oldest QUEUED delivery
};

struct ConditionReading {
  bool active = false;
  std::int64_t value = 0;      // errors in the window, queue depth, age in ms, 0/1 for state
  std::int64_t threshold = 0;  // what the rule compares it with
  std::string reason;          // in words, for the notification
};

class ConditionMeter {
 public:
  ConditionReading read(const AlertCondition& condition, const ChannelSample& sample, std::int64_t now_ms);

 private:
  std::deque<std::pair<std::int64_t, std::int64_t>> errors_;  // (time, cumulative errored)
};

// 300000 -> "5m", 1500 -> "1.5s": durations as a rule would write them.
std::string format_duration_ms(std::int64_t ms);

}  // namespace artery
