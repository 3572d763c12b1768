// The engine's health verdict for GET /api/health and the console's banner:
// healthy, degraded or critical, with every reason that made it so. A pure
// function of what the sampler and the store report, so it can be tested
// on made-up figures.
#pragma once
#include "admin/stats_sampler.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace artery::admin {

enum class Health { healthy, degraded, critical };
std::string_view to_string(Health health) noexcept;

struct HealthLimits {
  // Share of the messages received in the window that errored.
  double degraded_error_rate = 0.05;
  double critical_error_rate = 0.5;
  std::int64_t degraded_queue_depth = 1'000;    // per channel
  std::int64_t critical_queue_depth = 100'000;
  std::int64_t degraded_oldest_queued_s = 300;  // the oldest delivery still waiting
  std::int64_t critical_oldest_queued_s = 1'800;
};

struct HealthInputs {
  std::vector<ChannelSnapshot> channels;
  std::map<std::string, ChannelRates> recent;          // over the window (5 minutes)
  std::map<std::string, std::int64_t> oldest_queued_s;  // channel -> age of its oldest queued delivery
};

struct HealthReason {
  Health level = Health::degraded;
  std::string channel;  // "" for the engine as a whole
  std::string text;
};

struct HealthVerdict {
  Health status = Health::healthy;
  std::vector<HealthReason> reasons;  // the worst first
};

HealthVerdict assess_health(const HealthInputs& inputs, const HealthLimits& limits = {});

}  // namespace artery::admin
