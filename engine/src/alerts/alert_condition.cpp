#include "alerts/alert_condition.hpp"

namespace artery {

std::string format_duration_ms(std::int64_t ms) {
  if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms >= 60'000) return std::to_string(ms / 60'000) + "m" + std::to_string(ms % 60'000 / 1000) + "s";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms > 1000) return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s";
  return std::to_string(ms) + "ms";
}

ConditionReading ConditionMeter::read(const AlertCondition& condition, const ChannelSample& sample,
                                      std::int64_t now_ms) {
  ConditionReading out;
  switch (condition.kind) {
    case AlertCondition::Kind::errors: {
      // A counter that went down (a store replaced under us) starts a new history.
      if (!errors_.empty() && sample.errored < errors_.back().second) errors_.clear();
      errors_.emplace_back(now_ms, sample.errored);
      // Keep the newest sample at or before the window's start as the baseline.
      const std::int64_t start = now_ms - condition.window.count();
      while (errors_.size() >= 2 && errors_[1].first <= start) errors_.pop_front();
      out.value = sample.errored - errors_.front().second;
      out.threshold = condition.count;
      out.active = out.value >= condition.count;
      out.reason = std::to_string(out.value) + " error" + (out.value == 1 ? "" : "s") + " in the last " +
                   format_duration_ms(condition.window.count()) + " (alert at " + std::to_string(condition.count) +
                   ")";
      break;
    }
    case AlertCondition::Kind::queue_depth:
      out.value = sample.queued;
      out.threshold = condition.count;
      out.active = sample.queued >= condition.count;
      out.reason = std::to_string(sample.queued) + " deliveries queued (alert at " + std::to_string(condition.count) +
                   ")";
      break;
    case AlertCondition::Kind::oldest_queued:
      out.threshold = condition.window.count();
      if (sample.oldest_queued_ms) out.value = std::max<std::int64_t>(0, now_ms - *sample.oldest_queued_ms);
      out.active = sample.oldest_queued_ms && out.value >= out.threshold;
      out.reason = sample.oldest_queued_ms
                       ? "oldest queued delivery waiting " + format_duration_ms(out.value / 1000 * 1000) +
                             " (alert at " + format_duration_ms(out.threshold) + ")"
                       : "no delivery queued (alert at " + format_duration_ms(out.threshold) + ")";
      break;
    case AlertCondition::Kind::not_started:
      out.active = !sample.deployed || sample.state != ChannelState::started;
      out.value = out.active ? 1 : 0;
      if (!sample.deployed) out.reason = "channel is not deployed";
      else
        out.reason = "channel is " + std::string(to_string(sample.state)) +
                     (sample.state_reason.empty() ? "" : ": " + sample.state_reason);
      break;
  }
  return out;
}

}  // namespace artery
