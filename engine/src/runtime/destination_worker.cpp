#include "runtime/destination_worker.hpp"

#include "clock/unix_time.hpp"

#include "log/logger.hpp"
#include "runtime/vars_json.hpp"

#include <algorithm>
#include <future>

namespace artery {
namespace {
// What was sent, for the store: only when the destination script changed the
// payload. An unchanged payload is already stored with the message, and
// writing it twice would double the bytes each delivery commits.
std::optional<std::string> sent_form(const OutboundMessage& out, const PendingDelivery& d) {
  if (out.content == d.payload) return std::nullopt;
  return out.content;
}
std::vector<std::pair<std::string, std::string>> source_attributes(const std::string& json) {
  std::vector<std::pair<std::string, std::string>> out;
  if (json.empty()) return out;
  for (auto& [key, value] : vars_from_json(json)) out.emplace_back(key, std::move(value));
  return out;
}

}  // namespace

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry) {
  if (retry < 1) retry = 1;
  double delay = static_cast<double>(policy.initial.count());
  for (int i = 1; i < retry && delay < static_cast<double>(policy.max_delay.count()); ++i) delay *= 2;
  auto capped = std::min<double>(delay, static_cast<double>(policy.max_delay.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped));
}

DestinationWorker::DestinationWorker(Setup setup) : setup_(std::move(setup)) {}

DestinationWorker::~DestinationWorker() { stop(); }

bool DestinationWorker::start(std::string& error, bool deliver) {
  if (!setup_.connector->start(error)) return false;
  connector_started_ = true;
  if (deliver) start_delivering();
  return true;
}

void DestinationWorker::start_delivering() {
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { run(); });
}

void DestinationWorker::replace_script(std::shared_ptr<lua::Script> script,
                                       std::function<void(std::shared_ptr<lua::Script>)> adopt) {
  std::lock_guard lock(script_mutex_);
  next_script_ = std::move(script);
  adopt_script_ = std::move(adopt);
  script_waiting_ = true;
  // Not delivering yet: nothing is in flight, take it now.
  if (!thread_.joinable()) {
    setup_.script = next_script_.get();
    setup_.owned_script = std::move(next_script_);
    if (adopt_script_) adopt_script_(setup_.owned_script);
    adopt_script_ = {};
    script_waiting_ = false;
  }
}

void DestinationWorker::take_new_script() {
  if (!script_waiting_) return;
  std::lock_guard lock(script_mutex_);
  setup_.script = next_script_.get();
  // The old state goes here, on the thread that ran it.
  setup_.owned_script = std::move(next_script_);
  if (adopt_script_) adopt_script_(setup_.owned_script);
  adopt_script_ = {};
  script_waiting_ = false;
}

void DestinationWorker::enqueue(PendingDelivery delivery) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // Already in the window (read back from the store), or the window is full
    // and the store will be read again when it drains.
    if (overflow_ || delivery.message_id <= last_id_) return;
    if (queue_.size() >= setup_.memory_window) {
      overflow_ = true;
      return;
    }
    last_id_ = delivery.message_id;
    queue_.push_back(std::move(delivery));
    wake = idle_ || setup_.final_outcome || queue_.size() == linger_batch;
  }
  if (wake) wake_.notify_one();
}

void DestinationWorker::stop() {
  if (!thread_.joinable()) {
    // Started without delivering (a redeploy that did not go ahead).
    stopping_ = true;
    if (connector_started_) setup_.connector->stop();
    connector_started_ = false;
    return;
  }
  {
    // Set under the lock: next() checks the flag and then waits, both under
    // it, so a flag set in between (unlocked) would be a lost wake-up and
    // join() below would wait forever.
    std::lock_guard lock(mutex_);
    stopping_ = true;
    interrupted_ = true;
  }
  wake_.notify_all();
  if (setup_.outcomes) setup_.outcomes->wake_all();
  // Lets a send in flight end now (as a retry, so it stays queued) rather than at its timeout.
  setup_.connector->stop();
  thread_.join();
  connector_started_ = false;
}

std::optional<PendingDelivery> DestinationWorker::next() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (purge_) purge_now(lock);  // before stopping: its caller waits for the answer
    if (stopping_) return std::nullopt;
    if (!queue_.empty()) {
      PendingDelivery d = std::move(queue_.front());
      queue_.pop_front();
      return d;
    }
    if (overflow_) {
      // Read under the lock: a commit callback waiting on it will find its id
      // already taken (<= last_id_) and skip, so nothing is taken twice.
      std::vector<PendingDelivery> rows;
      try {
        rows = setup_.store->pending(setup_.channel, setup_.config.name, last_id_,
                                     static_cast<int>(setup_.memory_window));
      } catch (const std::exception& e) {
        // The queue stays in the store: say so, and try again shortly.
        logger::error(setup_.channel + "/" + setup_.config.name, std::string("cannot read the queue: ") + e.what());
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || purge_; });
        continue;
      }
      overflow_ = rows.size() >= setup_.memory_window;
      for (auto& row : rows) {
        last_id_ = row.message_id;
        queue_.push_back(std::move(row));
      }
      if (!queue_.empty()) continue;
    }
    if (!setup_.final_outcome) {
      wake_.wait_for(lock, linger, [&] { return stopping_ || purge_ || queue_.size() >= linger_batch; });
      if (stopping_ || purge_ || !queue_.empty()) continue;
    }
    if (purge_) continue;
    idle_ = true;
    wake_.wait(lock);
    idle_ = false;
  }
}

void DestinationWorker::run() {
  while (auto delivery = next()) {
    take_new_script();  // a delivery runs on one state from start to end
    ended_ = false;
    deliver(*delivery);
    if (ended_) continue;
    // Abandoned for a purge: back in the window, so the purge also tells
    // whoever waits for its outcome.
    std::lock_guard lock(mutex_);
    if (purge_) queue_.push_front(std::move(*delivery));
  }
}

bool DestinationWorker::sleep_until(std::chrono::steady_clock::time_point when) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, when, [&] { return interrupted_.load(); });
  return !interrupted_;
}

SendResult DestinationWorker::send_and_wait(OutboundMessage message) {
  auto promise = std::make_shared<std::promise<SendResult>>();
  auto future = promise->get_future();
  try {
    setup_.connector->send(std::move(message), [promise](SendResult result) {
      try {
        promise->set_value(std::move(result));
      } catch (const std::future_error&) {
        // A connector that answers twice: the first answer stands.
      }
    });
  } catch (const std::exception& e) {
    return {SendResult::Status::retry, {}, std::string("connector failed: ") + e.what()};
  }
  return future.get();
}

void DestinationWorker::finish(const PendingDelivery& d, MessageState state, int attempts,
                               std::optional<std::string> sent, std::optional<std::string> response,
                               std::optional<std::string> error) {
  ended_ = true;
  DeliveryUpdate update;
  update.message_id = d.message_id;
  update.destination = setup_.config.name;
  update.state = state;
  update.attempts = attempts;
  update.sent_content = std::move(sent);
  update.response = std::move(response);
  update.error = std::move(error);
  if (setup_.outcomes && setup_.outcomes->awaited(setup_.config.name)) {
    DeliveryOutcomes::Outcome outcome;
    outcome.state = state;
    outcome.response = update.response.value_or("");
    outcome.error = update.error.value_or("");
    setup_.outcomes->record(d.message_id, setup_.config.name, std::move(outcome));
  }
  setup_.store->update_delivery(std::move(update));
  Counters delta;
  delta.queued = -1;
  if (state == MessageState::sent) delta.sent = 1;
  else if (state == MessageState::filtered) delta.filtered = 1;
  else delta.errored = 1;
  count(*setup_.store, *setup_.counters, setup_.channel, setup_.config.name, delta);
  if (setup_.channel_counters) count(*setup_.store, *setup_.channel_counters, setup_.channel, "", delta);
}

// `after:`: waits until each awaited destination has ended this message, and
// gives their responses and states to the script. False: stopping first (the
// delivery stays queued).
bool DestinationWorker::await_predecessors(const PendingDelivery& d, lua::ScriptContext& context) {
  // Asked for a delivery read back from the store (queued before a restart,
  // when what it awaits may have ended already) or an outcome the board
  // dropped for room; re-read while the awaited delivery is not final there.
  std::optional<MessageRecord> record;
  auto final_in_record = [&](const std::string& name) {
    return record && std::none_of(record->deliveries.begin(), record->deliveries.end(), [&](const DeliveryRecord& r) {
             return r.destination == name && r.state == MessageState::queued;
           });
  };
  DeliveryOutcomes::StoreLookup from_store = [&](const std::string& name) -> std::optional<DeliveryOutcomes::Outcome> {
    if (!final_in_record(name)) {
      try {
        record = setup_.store->get(d.message_id);
      } catch (const std::exception& e) {
        logger::error(setup_.channel + "/" + setup_.config.name,
                      std::string("cannot read awaited outcomes: ") + e.what());
        record.reset();
      }
    }
    if (!record) return std::nullopt;
    DeliveryOutcomes::Outcome outcome;
    for (const auto& delivery : record->deliveries) {
      if (delivery.destination != name) continue;
      if (delivery.state == MessageState::queued) return std::nullopt;  // still to end: the board or a later read
      outcome.state = delivery.state;
      outcome.response = delivery.response;
      outcome.error = delivery.error;
      return outcome;
    }
    // No delivery to it (the destination was added after this message): nothing to wait for.
    outcome.state = MessageState::error;
    outcome.error = "no delivery of this message to " + name;
    return outcome;
  };
  auto outcomes = setup_.outcomes->wait(d.message_id, setup_.config.name, d.read_back, from_store, interrupted_);
  if (!outcomes) return false;
  for (auto& [name, outcome] : *outcomes) {
    context.responses[name] = std::move(outcome.response);
    context.states[name] = std::string(to_string(outcome.state));
  }
  if (setup_.carry_awaited) setup_.carry_awaited(context);
  return true;
}

void DestinationWorker::deliver(PendingDelivery& d) {
  if (!d.unreadable.empty()) {
    // Nothing can be sent from a value that failed authentication, now or
    // later: ERROR at once, kept and searchable, and the queue goes on.
    logger::error(setup_.channel + "/" + setup_.config.name,
                  "message " + std::to_string(d.message_id) + " not sent: " + d.unreadable);
    finish(d, MessageState::error, d.attempts, std::nullopt, std::nullopt, "not sent: " + d.unreadable);
    if (setup_.final_outcome) setup_.final_outcome(d.message_id, {SendResult::Status::rejected, {}, d.unreadable});
    return;
  }
  const auto& policy = setup_.config.retry;
  OutboundMessage out;
  out.message_id = d.message_id;
  out.data_type = d.data_type;
  out.content = d.payload;
  out.vars = vars_from_json(d.vars_json);
  const auto source = source_attributes(d.attributes_json);

  lua::ScriptContext context;
  if (setup_.outcomes && !setup_.config.after.empty() && !await_predecessors(d, context)) return;
  if (setup_.script) {
    context.channel = setup_.channel;
    context.destination = setup_.config.name;
    context.vars = out.vars;
    context.source = &source;
    auto result = setup_.script->process({out.content, out.data_type}, context);
    if (result.status == lua::ScriptResult::Status::filtered) {
      finish(d, MessageState::filtered, d.attempts, std::nullopt, std::nullopt, std::nullopt);
      if (setup_.final_outcome) setup_.final_outcome(d.message_id, {SendResult::Status::sent, {}, {}});
      return;
    }
    if (result.status == lua::ScriptResult::Status::error) {
      // A script error is not transient: retrying the same input fails the same way.
      finish(d, MessageState::error, d.attempts, std::nullopt, std::nullopt, "destination script: " + result.error);
      if (setup_.final_outcome)
        setup_.final_outcome(d.message_id, {SendResult::Status::rejected, {}, result.error});
      return;
    }
    if (result.payload) {
      out.content = std::move(*result.payload);
      if (!result.payload_type.empty()) out.data_type = result.payload_type;
    }
    out.vars = context.vars;
  }
  // Templates reach the source's facts as ${source.filename}; a script's own
  // var of that name wins.
  for (const auto& [key, value] : source) out.vars.emplace("source." + key, value);

  if (d.next_attempt_ms > 0) {
    auto wait = std::chrono::milliseconds(d.next_attempt_ms - unix_time_ms());
    if (wait.count() > 0 && !sleep_until(std::chrono::steady_clock::now() + wait)) return;
  }

  int attempts = d.attempts;
  while (!interrupted_) {
    out.attempt = attempts + 1;
    SendResult result = send_and_wait(out);
    if (result.status == SendResult::Status::sent) {
      std::string response = result.response;
      if (setup_.script && setup_.script->has("response") && !response.empty()) {
        auto transformed = setup_.script->response({response, d.data_type}, context);
        if (transformed.status == lua::ScriptResult::Status::error)
          logger::warn(setup_.channel + "/" + setup_.config.name, "response script failed: " + transformed.error);
        else if (transformed.payload)
          response = std::move(*transformed.payload);
      }
      finish(d, MessageState::sent, attempts + 1,
             setup_.drop_content_when_sent ? std::optional<std::string>("") : sent_form(out, d), response,
             std::nullopt);
      if (setup_.final_outcome) setup_.final_outcome(d.message_id, result);
      return;
    }
    if (interrupted_ && result.status == SendResult::Status::retry) {
      // A send abandoned because we are stopping (or purging) says nothing about the peer:
      // it must not use up a retry (the last one would make it an ERROR). It
      // stays QUEUED as it was, due at once after the restart.
      DeliveryUpdate keep;
      keep.message_id = d.message_id;
      keep.destination = setup_.config.name;
      keep.state = MessageState::queued;
      keep.attempts = attempts;
      keep.error = result.error;
      setup_.store->update_delivery(std::move(keep));
      return;
    }
    ++attempts;
    const bool permanent = result.status == SendResult::Status::rejected && !policy.retry_rejected;
    if (permanent || attempts > policy.max) {
      std::string reason = (permanent ? "rejected: " : "failed after " + std::to_string(attempts) + " attempts: ") +
                           result.error;
      logger::warn(setup_.channel + "/" + setup_.config.name,
                   "message " + std::to_string(d.message_id) + " " + reason);
      finish(d, MessageState::error, attempts, sent_form(out, d), result.response, reason);
      if (setup_.final_outcome) setup_.final_outcome(d.message_id, result);
      return;
    }
    auto delay = retry_delay(policy, attempts);
    DeliveryUpdate retry;
    retry.message_id = d.message_id;
    retry.destination = setup_.config.name;
    retry.state = MessageState::queued;
    retry.attempts = attempts;
    retry.next_attempt_ms = unix_time_ms() + delay.count();
    retry.error = result.error;
    setup_.store->update_delivery(std::move(retry));
    // A peer that is down fails every message: the logger shows the first
    // few of these per 10 s and summarises the rest.
    logger::warn(setup_.channel + "/" + setup_.config.name,
                 "message " + std::to_string(d.message_id) + " attempt " + std::to_string(attempts) + " failed (" +
                     result.error + "); retrying in " + std::to_string(delay.count()) + " ms");
    if (!sleep_until(std::chrono::steady_clock::now() + delay)) return;
  }
}

// ---- queue purge ----

std::int64_t DestinationWorker::purge(const std::string& reason) {
  std::lock_guard one_at_a_time(purge_mutex_);
  std::future<std::int64_t> answer;
  {
    std::unique_lock lock(mutex_);
    if (!thread_.joinable() || stopping_) {
      // No thread delivers from the queue: purge it here.
      std::deque<PendingDelivery> dropped;
      dropped.swap(queue_);
      overflow_ = true;
      lock.unlock();
      return purge_queue(reason, dropped);
    }
    purge_ = std::make_unique<PurgeRequest>();
    purge_->reason = reason;
    answer = purge_->done.get_future();
    interrupted_ = true;
  }
  wake_.notify_all();
  if (setup_.outcomes) setup_.outcomes->wake_all();
  // A send in flight is not cut short (the peer may be taking the message
  // right now): the purge waits for it, at most the connector's timeout.
  return answer.get();
}

// On the worker thread, between deliveries, with `lock` held on entry and exit.
void DestinationWorker::purge_now(std::unique_lock<std::mutex>& lock) {
  auto request = std::move(purge_);
  std::deque<PendingDelivery> dropped;
  dropped.swap(queue_);
  // From now on arrivals are left to the store and read back from it (only
  // rows still QUEUED, i.e. committed after the purge): a delivery committed
  // just before the purge but enqueued after it is never taken twice.
  overflow_ = true;
  interrupted_ = stopping_.load();
  // Unlocked: the store's flush may wait for a writer whose commit callback
  // is blocked in enqueue() on this lock (durability fsync).
  lock.unlock();
  std::int64_t purged = 0;
  try {
    purged = purge_queue(request->reason, dropped);
    request->done.set_value(purged);
  } catch (...) {
    request->done.set_exception(std::current_exception());
  }
  lock.lock();
}

std::int64_t purge_queued_deliveries(MessageStore& store, const std::string& channel, const std::string& destination,
                                     const std::string& reason, LiveCounters& counters, LiveCounters* channel_counters) {
  const std::int64_t purged = store.purge_queued(channel, destination, reason);
  if (purged > 0) {
    Counters delta;
    delta.queued = -purged;
    delta.errored = purged;
    count(store, counters, channel, destination, delta);
    if (channel_counters) count(store, *channel_counters, channel, "", delta);
  }
  logger::warn(channel + "/" + destination, std::to_string(purged) + " queued deliveries purged (" + reason + ")");
  return purged;
}

std::int64_t DestinationWorker::purge_queue(const std::string& reason, const std::deque<PendingDelivery>& dropped) {
  const std::int64_t purged = purge_queued_deliveries(*setup_.store, setup_.channel, setup_.config.name, reason,
                                                      *setup_.counters, setup_.channel_counters);
  // Whoever waits on these deliveries (a sender's ACK with after-delivery, a
  // destination chained `after:` this one) hears that they ended.
  for (const auto& d : dropped) {
    if (setup_.outcomes && setup_.outcomes->awaited(setup_.config.name)) {
      DeliveryOutcomes::Outcome outcome;
      outcome.state = MessageState::error;
      outcome.error = reason;
      setup_.outcomes->record(d.message_id, setup_.config.name, std::move(outcome));
    }
    if (setup_.final_outcome) setup_.final_outcome(d.message_id, {SendResult::Status::rejected, {}, reason});
  }
  return purged;
}

}  // namespace artery
