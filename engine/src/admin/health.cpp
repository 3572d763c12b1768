#include "admin/health.hpp"

#include <algorithm>
#include <cstdio>

namespace artery::admin {

std::string_view to_string(Health health) noexcept {
  switch (health) {
    case Health::healthy: return "healthy";
    case Health::degraded: return "degraded";
    case Health::critical: return "critical";
  }
  return "healthy";
}

namespace {

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%", share * 100.0);
  return text;
}

}  // namespace

HealthVerdict assess_health(const HealthInputs& in, const HealthLimits& limits) {
  HealthVerdict verdict;
  auto add = [&](Health level, std::string channel, std::string text) {
    verdict.reasons.push_back({level, std::move(channel), std::move(text)});
  };
  std::size_t running = 0;
  for (const auto& channel : in.channels) {
    const std::string& name = channel.name;
    if (channel.state == ChannelState::started || channel.state == ChannelState::paused) ++running;
    if (channel.state == ChannelState::failed) add(Health::degraded, name, "failed: " + channel.reason);
    if (auto it = in.recent.find(name); it != in.recent.end() && it->second.received > 0) {
      const double rate = static_cast<double>(it->second.errored) / static_cast<double>(it->second.received);
      const std::string text = std::to_string(it->second.errored) + " of " + std::to_string(it->second.received) +
                               " messages errored in the last 5 minutes (" + percent(rate) + ")";
      if (rate >= limits.critical_error_rate) add(Health::critical, name, text);
      else if (rate >= limits.degraded_error_rate) add(Health::degraded, name, text);
    }
    const std::int64_t depth = channel.counters.queued;
    if (depth >= limits.critical_queue_depth) add(Health::critical, name, std::to_string(depth) + " deliveries queued");
    else if (depth >= limits.degraded_queue_depth) add(Health::degraded, name, std::to_string(depth) + " deliveries queued");
    if (auto it = in.oldest_queued_s.find(name); it != in.oldest_queued_s.end()) {
      const std::string text = "oldest queued delivery waiting " + std::to_string(it->second) + " s";
      if (it->second >= limits.critical_oldest_queued_s) add(Health::critical, name, text);
      else if (it->second >= limits.degraded_oldest_queued_s) add(Health::degraded, name, text);
    }
  }
  if (!in.channels.empty() && running == 0) add(Health::critical, "", "no channel is running");
  std::stable_sort(verdict.reasons.begin(), verdict.reasons.end(),
                   [](const HealthReason& a, const HealthReason& b) { return a.level > b.level; });
  if (!verdict.reasons.empty()) verdict.status = verdict.reasons.front().level;
  return verdict;
}

}  // namespace artery::admin
