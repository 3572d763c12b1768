// Chained destinations (`after:`): the final outcomes of a channel's
// deliveries that other destinations of the channel wait for, shared by its
// DestinationWorkers. A destination's worker records each outcome others
// await; a waiting worker blocks on a message until every destination it
// awaits has one, then reads their responses and states (ctx.responses,
// ctx.states). An outcome is dropped once every waiter has moved past its message.
//
// Only deliveries of this run are here, and at most `capacity` outcomes per
// awaited destination (a waiter far behind must not make memory grow without
// bound): the oldest go first. A waiter asks the store (`from_store`) for an
// outcome that may have gone that way, and for a delivery read back from the
// store (recovery after a restart), whose predecessor may have ended before
// the restart.
#pragma once
#include <artery/states.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace artery {

class DeliveryOutcomes {
 public:
  struct Outcome {
    MessageState state = MessageState::sent;
    std::string response;
    std::string error;
  };
  using Outcomes = std::map<std::string, Outcome>;  // awaited destination -> its outcome
  // A final outcome of `destination` for a message from the store, nullopt if its delivery is not final there.
  using StoreLookup = std::function<std::optional<Outcome>(const std::string& destination)>;

  // waiter -> the destinations it waits for (enabled ones only).
  DeliveryOutcomes(std::map<std::string, std::vector<std::string>> awaits, std::size_t capacity);

  bool awaited(const std::string& destination) const { return waiters_.count(destination) > 0; }
  void record(std::int64_t message_id, const std::string& destination, Outcome outcome);
  // Blocks until every destination `waiter` awaits has ended message_id;
  // nullopt when `stopping` became true first. `read_back`: the delivery came
  // from the store, so the store may hold outcomes this run never saw.
  std::optional<Outcomes> wait(std::int64_t message_id, const std::string& waiter, bool read_back,
                               const StoreLookup& from_store, const std::atomic<bool>& stopping);
  void wake_all();  // a worker is stopping: its wait must see it

 private:
  void drop_consumed(const std::string& awaited_destination);

  std::map<std::string, std::vector<std::string>> awaits_;   // waiter -> awaited
  std::map<std::string, std::vector<std::string>> waiters_;  // awaited -> waiters
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::map<std::int64_t, Outcome>> outcomes_;  // awaited -> message id -> outcome
  std::map<std::string, std::int64_t> position_;  // waiter -> the last message it took outcomes for
  std::map<std::string, std::int64_t> evicted_through_;  // awaited -> highest id dropped for room
  std::size_t capacity_;
};

}  // namespace artery
