// The alert runner: a thread that samples every channel about once a second
// (ChannelRegistry::snapshot() and MessageStore::oldest_queued_ms()), runs
// each rule's condition and state machine, and hands notifications to the
// outbox. It keeps the last 200 events in memory and gives each, once its
// notifications are done (or at once when it is kept quiet), to a sink the
// admin API connects to its audit log and console. Everything public is
// thread-safe.
#pragma once
#include "alerts/alert_condition.hpp"
#include "alerts/alert_config.hpp"
#include "alerts/alert_event.hpp"
#include "alerts/alert_outbox.hpp"
#include "alerts/alert_state.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace artery {

class ChannelRegistry;
class MessageStore;

class AlertRunner {
 public:
  using Sink = std::function<void(const AlertEvent&)>;
  static constexpr std::size_t kRecentEvents = 200;

  AlertRunner(AlertsConfig config, ChannelRegistry& channels, MessageStore& store);
  ~AlertRunner();  // stops
  AlertRunner(const AlertRunner&) = delete;
  AlertRunner& operator=(const AlertRunner&) = delete;

  // Starts sampling (nothing when there are no rules). False with `error`
  // when a target cannot be used (its password variable is not set): the
  // runner runs anyway, and notifications to that target fail with the reason.
  bool start(std::string& error);
  void stop();  // idempotent; returns when both threads have ended

  // Called with every event, from the runner's threads (never with a lock
  // held); replaces the previous sink. Events before it was set are in recent().
  void set_sink(Sink sink);

  // Every rule on every channel it watches, in rule order then channel name.
  std::vector<AlertRuleStatus> status() const;
  // The last kRecentEvents events, newest first (an event's delivery is
  // "pending" until its notifications are done).
  std::vector<AlertEvent> recent() const;
  const AlertsConfig& config() const { return config_; }

  // An event that is not a rule's reading (a hot reload that failed): kept
  // with the others, logged, given to the sink, and notified to the targets
  // of every rule that watches the channel (its name or "*"). Fills in id
  // and at_ms.
  void report(AlertEvent event);

  // One sampling pass at `now_ms` over `samples` (the thread calls it with
  // the registry's snapshot; tests call it with made-up samples).
  void evaluate(const std::vector<ChannelSample>& samples, std::int64_t now_ms);

 private:
  struct Watch {
    std::size_t rule = 0;
    std::string channel;
    ConditionMeter meter;
    AlertState state;
    ConditionReading last;
  };
  void run();
  std::vector<ChannelSample> sample();
  void record(AlertEvent event, bool final);
  void finished(AlertEvent event);

  AlertsConfig config_;
  ChannelRegistry& channels_;
  MessageStore& store_;
  AlertOutbox outbox_;

  mutable std::mutex mutex_;  // watches_, events_, sink_, next_id_
  std::map<std::pair<std::size_t, std::string>, Watch> watches_;
  std::deque<AlertEvent> events_;  // newest first
  Sink sink_;
  std::int64_t next_id_ = 1;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery
