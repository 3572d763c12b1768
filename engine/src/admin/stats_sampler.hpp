// Samples every channel's snapshot once a second and keeps the last minutes
// of them: the console's live msg/s chart (server-sent events), the health
// verdict's recent error rate, and the dashboard's first paint all read from
// here, so 200 channels cost one registry snapshot a second however many
// browsers watch.
#pragma once
#include "control/channel_registry.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace artery::admin {

struct StatsSample {
  std::int64_t at_ms = 0;  // unix epoch
  std::vector<ChannelSnapshot> channels;
};

// Per channel, over a window: what changed.
struct ChannelRates {
  double received_per_second = 0;
  double sent_per_second = 0;
  double errored_per_second = 0;
  std::int64_t received = 0;  // in the window
  std::int64_t errored = 0;
};

class StatsSampler {
 public:
  using Listener = std::function<void(const StatsSample& latest)>;

  explicit StatsSampler(ChannelRegistry& channels, std::chrono::milliseconds every = std::chrono::seconds(1),
                        std::size_t keep = 600);
  ~StatsSampler();  // stops

  void start();
  void stop();

  std::shared_ptr<const StatsSample> latest() const;
  // Rates over the last `window` of samples (the whole history when shorter).
  std::map<std::string, ChannelRates> rates(std::chrono::seconds window) const;

  // Called on the sampler's thread after each sample; keep it quick (queue
  // an SSE write). Returns an id for unsubscribe().
  std::uint64_t subscribe(Listener listener);
  void unsubscribe(std::uint64_t id);

 private:
  void run();
  void take();

  ChannelRegistry& channels_;
  std::chrono::milliseconds every_;
  std::size_t keep_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<std::shared_ptr<const StatsSample>> history_;
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace artery::admin
