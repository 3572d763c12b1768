// Live counters of a channel and its destinations: atomics read by the API,
// with every change also sent to the store so the totals survive restarts.
#pragma once
#include "store/message_store.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace artery {

struct LiveCounters {
  std::atomic<std::int64_t> received{0}, filtered{0}, queued{0}, sent{0}, errored{0};

  void load(const Counters& c) {
    received = c.received;
    filtered = c.filtered;
    queued = c.queued;
    sent = c.sent;
    errored = c.errored;
  }
  Counters snapshot() const { return {received.load(), filtered.load(), queued.load(), sent.load(), errored.load()}; }
};

// Applies a delta to the live counters and records it in the store.
inline void count(MessageStore& store, LiveCounters& live, const std::string& channel,
                  const std::string& destination, const Counters& delta) {
  live.received += delta.received;
  live.filtered += delta.filtered;
  live.queued += delta.queued;
  live.sent += delta.sent;
  live.errored += delta.errored;
  store.add_counters({channel, destination, delta});
}

}  // namespace artery
