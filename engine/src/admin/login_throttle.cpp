#include "admin/login_throttle.hpp"

#include <algorithm>

namespace artery::admin {
namespace {

// Beyond this many tracked keys, keys with nothing left in their window are
// dropped: names and addresses come from the network and must not grow the
// engine's memory without bound.
constexpr std::size_t kTrackedBeforeCleanup = 10'000;

std::string user_key(std::string_view user) { return "u:" + std::string(user); }
std::string address_key(std::string_view address) { return "a:" + std::string(address); }

}  // namespace

LoginThrottle::LoginThrottle(ThrottlePolicy policy, Clock clock) : policy_(policy), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::chrono::seconds LoginThrottle::wait_for(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end() || it->second.blocked_until <= now) return std::chrono::seconds(0);
  // Rounded up: "Retry-After: 0" while still blocked would invite a retry at once.
  auto left = it->second.blocked_until - now;
  auto seconds = std::chrono::ceil<std::chrono::seconds>(left);
  return std::max(seconds, std::chrono::seconds(1));
}

std::chrono::seconds LoginThrottle::retry_after(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  return std::max(wait_for(user_key(user), now), wait_for(address_key(address), now));
}

void LoginThrottle::fail(const std::string& key, int free_failures, std::chrono::steady_clock::time_point now) {
  Failures& entry = failures_[key];
  while (!entry.times.empty() && entry.times.front() + policy_.window <= now) entry.times.pop_front();
  entry.times.push_back(now);
  const int count = static_cast<int>(entry.times.size());
  if (count < free_failures) return;
  // The free_failures-th failure blocks for first_delay, each one after doubles it.
  const int doublings = std::min(count - free_failures, 20);
  auto delay = policy_.first_delay * (std::int64_t{1} << doublings);
  delay = std::min<std::chrono::seconds>(delay, policy_.max_delay);
  entry.blocked_until = std::max(entry.blocked_until, now + delay);
  // Never forget a failure while its block lasts.
  const std::size_t most = static_cast<std::size_t>(std::max(free_failures, 1)) + 32;
  while (entry.times.size() > most) entry.times.pop_front();
}

void LoginThrottle::record_failure(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  if (failures_.size() > kTrackedBeforeCleanup) forget_old(now);
  fail(user_key(user), policy_.free_failures_per_user, now);
  fail(address_key(address), policy_.free_failures_per_address, now);
}

void LoginThrottle::record_success(std::string_view user) {
  std::lock_guard lock(mutex_);
  failures_.erase(user_key(user));
}

void LoginThrottle::forget_old(std::chrono::steady_clock::time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    const auto& entry = it->second;
    const bool window_over = entry.times.empty() || entry.times.back() + policy_.window <= now;
    if (window_over && entry.blocked_until <= now)
      it = failures_.erase(it);
    else
      ++it;
  }
}

std::size_t LoginThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return failures_.size();
}

}  // namespace artery::admin
