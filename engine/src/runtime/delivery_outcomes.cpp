#include "runtime/delivery_outcomes.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace artery {

DeliveryOutcomes::DeliveryOutcomes(std::map<std::string, std::vector<std::string>> awaits)
    : awaits_(std::move(awaits)) {
  for (const auto& [waiter, awaited] : awaits_)
    for (const auto& name : awaited) waiters_[name].push_back(waiter);
}

void DeliveryOutcomes::record(std::int64_t message_id, const std::string& destination, Outcome outcome) {
  {
    std::lock_guard lock(mutex_);
    outcomes_[destination].insert_or_assign(message_id, std::move(outcome));
  }
  changed_.notify_all();
}

void DeliveryOutcomes::wake_all() {
  { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait is now waiting
  changed_.notify_all();
}

std::optional<DeliveryOutcomes::Outcomes> DeliveryOutcomes::wait(std::int64_t message_id, const std::string& waiter,
                                                                 const StoreLookup& from_store,
                                                                 const std::atomic<bool>& stopping) {
  auto it = awaits_.find(waiter);
  if (it == awaits_.end()) return Outcomes{};
  const auto& awaited = it->second;
  Outcomes found;
  std::unique_lock lock(mutex_);
  bool asked_store = !from_store;
  for (;;) {
    for (const auto& name : awaited) {
      if (found.count(name)) continue;
      auto& outcomes = outcomes_[name];
      if (auto at = outcomes.find(message_id); at != outcomes.end()) found[name] = at->second;
    }
    if (found.size() == awaited.size()) break;
    if (!asked_store) {
      // Once per message, without the lock (a store read may wait for the writer).
      asked_store = true;
      lock.unlock();
      Outcomes stored;
      for (const auto& name : awaited)
        if (!found.count(name))
          if (auto outcome = from_store(name)) stored[name] = std::move(*outcome);
      lock.lock();
      found.merge(stored);
      continue;
    }
    if (stopping) return std::nullopt;
    // Timed as well, so that a stop is seen even if its wake-up came just before this wait.
    changed_.wait_for(lock, std::chrono::milliseconds(200));
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
