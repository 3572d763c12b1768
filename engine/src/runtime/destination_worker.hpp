// Delivers one destination's queue in order: destination script, connector
// send, response script, retry with exponential backoff, final state in the
// store. Keeps a bounded window of the queue in memory; beyond it (and at
// start-up, for recovery) it reads the queue back from the store.
#pragma once
#include "config/channel_config.hpp"
#include "lua/script.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/channel_counters.hpp"
#include "runtime/delivery_outcomes.hpp"
#include "store/message_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

namespace artery {

class DestinationWorker {
 public:
  // Final outcome of each delivery: sent, filtered, or failed for good (retries
  // used up, rejected). Used for `ack: after-delivery`, which answers the
  // sender only then: an early "error" while retries go on would make an HL7
  // sender resend a message that is still going to be delivered.
  using FinalOutcome = std::function<void(std::int64_t message_id, const SendResult& result)>;

  struct Setup {
    std::string channel;
    DestinationConfig config;
    MessageStore* store = nullptr;
    ConnectorHandle<Destination> connector;
    lua::Script* script = nullptr;  // destination filter/transform/response; may be null
    std::shared_ptr<lua::Script> owned_script;  // the worker's own copy of `script`, when it owns it
    LiveCounters* counters = nullptr;          // this destination's
    LiveCounters* channel_counters = nullptr;  // the channel's: sums of its destinations' sends
    FinalOutcome final_outcome;
    std::size_t memory_window = 10'000;
    // The channel's chained destinations (`after:`); null when none waits for another.
    DeliveryOutcomes* outcomes = nullptr;
    // Hands the awaited outcomes to a connector that reads them (the lua destination's send).
    std::function<void(const lua::ScriptContext&)> carry_awaited;
    // The router's deliveries: their content (what was routed) is kept only
    // until SENT, as the target channels then hold it; usually the SENT update
    // folds into the insert and the content never reaches SQLite at all.
    bool drop_content_when_sent = false;
  };

  // With nobody waiting for the outcome (no final_outcome), a worker that has
  // emptied its queue lets the next messages gather for up to `linger` (or
  // `linger_batch` of them) without being woken for each: under load that
  // saves a thread wake-up per message, and delivery is at most this late.
  static constexpr std::chrono::microseconds linger{1000};
  static constexpr std::size_t linger_batch = 64;

  explicit DestinationWorker(Setup setup);
  ~DestinationWorker();

  // Starts the connector and, unless `deliver` is false, the delivery thread.
  // A redeploy's new version starts without delivering while its old
  // version still delivers the same queue, then start_delivering() once the
  // old one has stopped: the queue is read back from the store, in order.
  bool start(std::string& error, bool deliver = true);
  void start_delivering();
  // A new destination script (a script reload), taken between two
  // deliveries: the one in flight ends on the state it began with, every
  // delivery begun after this returns runs `script`. `adopt` runs on the
  // worker's thread at the switch (the lua destination's send() state).
  void replace_script(std::shared_ptr<lua::Script> script,
                      std::function<void(std::shared_ptr<lua::Script>)> adopt = {});
  // Called after the message's commit, in commit (= id) order.
  void enqueue(PendingDelivery delivery);
  // Finishes (or abandons to the queue) the delivery in flight, then returns.
  void stop();
  // Ends this destination's whole queue as ERROR with `reason` (an operator's
  // queue purge): the in-memory window and the store's rows alike, with the
  // counters moved from queued to errored. Done on the worker's own thread
  // between two deliveries, so the one in flight is never purged under it:
  // a send in progress ends first (sent, or abandoned to the queue and then
  // purged), a retry's back-off wait is cut short. Blocks until done;
  // returns how many deliveries it ended. Any thread but the worker's.
  std::int64_t purge(const std::string& reason);

  const std::string& name() const { return setup_.config.name; }
  Destination* connector() const { return setup_.connector.connector.get(); }

 private:
  void run();
  void take_new_script();
  std::optional<PendingDelivery> next();
  void deliver(PendingDelivery& delivery);
  bool await_predecessors(const PendingDelivery& delivery, lua::ScriptContext& context);
  SendResult send_and_wait(OutboundMessage message);
  void finish(const PendingDelivery& delivery, MessageState state, int attempts, std::optional<std::string> sent,
              std::optional<std::string> response, std::optional<std::string> error);
  bool sleep_until(std::chrono::steady_clock::time_point when);
  void purge_now(std::unique_lock<std::mutex>& lock);
  std::int64_t purge_queue(const std::string& reason, const std::deque<PendingDelivery>& dropped);

  Setup setup_;
  bool connector_started_ = false;
  std::thread thread_;
  std::mutex script_mutex_;  // the replacement below
  std::shared_ptr<lua::Script> next_script_;
  std::function<void(std::shared_ptr<lua::Script>)> adopt_script_;
  std::atomic<bool> script_waiting_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PendingDelivery> queue_;
  bool idle_ = false;  // waiting with no timeout: enqueue must wake it
  bool overflow_ = true;  // the store holds deliveries the window does not: read them back
  std::int64_t last_id_ = 0;  // highest message id taken into the window
  bool ended_ = false;  // the worker thread's: deliver() ended its delivery (finish() ran)
  std::atomic<bool> stopping_{false};
  // Set by stop() and by purge(): the delivery in flight gives up waiting
  // (back-off, predecessors) and stays queued. Guarded like stopping_.
  std::atomic<bool> interrupted_{false};
  // A purge waiting for the worker thread (guarded by mutex_); one at a time.
  struct PurgeRequest {
    std::string reason;
    std::promise<std::int64_t> done;
  };
  std::unique_ptr<PurgeRequest> purge_;
  std::mutex purge_mutex_;
};

// The store side of a queue purge, shared by a running worker and a stopped
// channel: the rows of `destination` become ERROR, and the destination's
// and channel's counters move from queued to errored, as a failed delivery does.
std::int64_t purge_queued_deliveries(MessageStore& store, const std::string& channel, const std::string& destination,
                                     const std::string& reason, LiveCounters& counters, LiveCounters* channel_counters);

// Delay before retry `n` (1-based): initial * 2^(n-1), capped at max_delay.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry);

}  // namespace artery
