#include "runtime/delivery_outcomes.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace artery {

namespace {
// How often a waiter that may find its outcome in the store asks again (a
// predecessor's final state may not be committed yet when first asked).
constexpr auto store_poll = std::chrono::milliseconds(200);
}  // namespace

DeliveryOutcomes::DeliveryOutcomes(std::map<std::string, std::vector<std::string>> awaits, std::size_t capacity)
    : awaits_(std::move(awaits)), capacity_(std::max<std::size_t>(1, capacity)) {
  for (const auto& [waiter, awaited] : awaits_)
    for (const auto& name : awaited) waiters_[name].push_back(waiter);
}

void DeliveryOutcomes::record(std::int64_t message_id, const std::string& destination, Outcome outcome) {
  {
    std::lock_guard lock(mutex_);
    auto& outcomes = outcomes_[destination];
    outcomes.insert_or_assign(message_id, std::move(outcome));
    if (outcomes.size() > capacity_) {
      auto& evicted = evicted_through_[destination];
      evicted = std::max(evicted, outcomes.begin()->first);
      outcomes.erase(outcomes.begin());
    }
  }
  changed_.notify_all();
}

void DeliveryOutcomes::wake_all() {
  { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait is now waiting
  changed_.notify_all();
}

std::optional<DeliveryOutcomes::Outcomes> DeliveryOutcomes::wait(std::int64_t message_id, const std::string& waiter,
                                                                 bool read_back, const StoreLookup& from_store,
                                                                 const std::atomic<bool>& stopping) {
  auto it = awaits_.find(waiter);
  if (it == awaits_.end()) return Outcomes{};
  const auto& awaited = it->second;
  Outcomes found;
  std::unique_lock lock(mutex_);
  auto next_store_read = std::chrono::steady_clock::time_point::min();
  for (;;) {
    std::vector<std::string> missing;
    for (const auto& name : awaited) {
      if (found.count(name)) continue;
      auto& outcomes = outcomes_[name];
      if (auto at = outcomes.find(message_id); at != outcomes.end()) found[name] = at->second;
      else missing.push_back(name);
    }
    if (missing.empty()) break;
    const bool store_may_know =
        from_store && std::any_of(missing.begin(), missing.end(), [&](const std::string& name) {
          return read_back || message_id <= evicted_through_[name];
        });
    if (store_may_know && std::chrono::steady_clock::now() >= next_store_read) {
      // Without the lock: a store read may wait for the writer.
      next_store_read = std::chrono::steady_clock::now() + store_poll;
      lock.unlock();
      Outcomes stored;
      for (const auto& name : missing)
        if (auto outcome = from_store(name)) stored[name] = std::move(*outcome);
      lock.lock();
      found.merge(stored);
      continue;
    }
    if (stopping) return std::nullopt;
    // Timed as well, so that a stop is seen even if its wake-up came just before this wait.
    changed_.wait_for(lock, store_poll);
    if (stopping) return std::nullopt;
  }
  position_[waiter] = std::max(position_[waiter], message_id);
  for (const auto& name : awaited) drop_consumed(name);
  return found;
}

void DeliveryOutcomes::drop_consumed(const std::string& awaited_destination) {
  std::int64_t lowest = std::numeric_limits<std::int64_t>::max();
  for (const auto& waiter : waiters_[awaited_destination]) {
    auto at = position_.find(waiter);
    lowest = std::min(lowest, at == position_.end() ? 0 : at->second);
  }
  auto& outcomes = outcomes_[awaited_destination];
  outcomes.erase(outcomes.begin(), outcomes.upper_bound(lowest));
}

}  // namespace artery
