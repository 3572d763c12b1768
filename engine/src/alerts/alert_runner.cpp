#include "alerts/alert_runner.hpp"

#include "clock/unix_time.hpp"

#include "control/channel_registry.hpp"
#include "log/logger.hpp"
#include "store/message_store.hpp"

#include <algorithm>
#include <chrono>

namespace artery {
AlertRunner::AlertRunner(AlertsConfig config, ChannelRegistry& channels, MessageStore& store)
    : config_(std::move(config)),
      channels_(channels),
      store_(store),
      outbox_(config_.targets, [this](AlertEvent event) { finished(std::move(event)); }) {}

AlertRunner::~AlertRunner() { stop(); }

bool AlertRunner::start(std::string& error) {
  if (config_.rules.empty()) return true;
  const bool ok = outbox_.prepare(error);
  outbox_.start();
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
  return ok;
}

void AlertRunner::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  outbox_.stop();
}

void AlertRunner::set_sink(Sink sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

std::vector<AlertRuleStatus> AlertRunner::status() const {
  std::lock_guard lock(mutex_);
  std::vector<AlertRuleStatus> out;
  out.reserve(watches_.size());
  for (const auto& [key, watch] : watches_) {
    AlertRuleStatus s;
    const AlertRule& rule = config_.rules[watch.rule];
    s.rule = rule.name;
    s.channel = watch.channel;
    s.condition = std::string(to_string(rule.condition.kind));
    s.firing = watch.state.firing();
    s.since_ms = s.firing ? watch.state.firing_since_ms() : 0;
    s.value = watch.last.value;
    s.threshold = watch.last.threshold;
    s.reason = watch.last.reason;
    s.last_notified_ms = watch.state.last_notified_ms().value_or(0);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<AlertEvent> AlertRunner::recent() const {
  std::lock_guard lock(mutex_);
  return {events_.begin(), events_.end()};
}

std::vector<ChannelSample> AlertRunner::sample() {
  std::vector<ChannelSample> out;
  auto oldest = store_.oldest_queued_ms();
  for (auto& snapshot : channels_.snapshot()) {
    ChannelSample s;
    s.channel = snapshot.name;
    s.state = snapshot.state;
    s.state_reason = snapshot.reason;
    s.errored = snapshot.counters.errored;
    s.queued = snapshot.counters.queued;
    if (auto it = oldest.find(snapshot.name); it != oldest.end()) s.oldest_queued_ms = it->second;
    out.push_back(std::move(s));
  }
  return out;
}

void AlertRunner::evaluate(const std::vector<ChannelSample>& samples, std::int64_t now_ms) {
  struct Outgoing {
    AlertEvent event;
    bool notify;
    std::vector<std::string> targets;
  };
  std::vector<Outgoing> outgoing;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t r = 0; r < config_.rules.size(); ++r) {
      const AlertRule& rule = config_.rules[r];
      auto check = [&](const ChannelSample& sample) {
        auto [it, added] = watches_.try_emplace({r, sample.channel}, Watch{r, sample.channel, {},
                                                                            AlertState(rule.hold, rule.quiet_period),
                                                                            {}});
        Watch& watch = it->second;
        watch.last = watch.meter.read(rule.condition, sample, now_ms);
        const auto step = watch.state.observe(watch.last.active, now_ms);
        if (step.change == AlertState::Change::none) return;
        AlertEvent event;
        event.id = next_id_++;
        event.kind = step.change == AlertState::Change::fired ? "fired" : "resolved";
        event.rule = rule.name;
        event.channel = sample.channel;
        event.condition = std::string(to_string(rule.condition.kind));
        event.reason = watch.last.reason;
        event.value = watch.last.value;
        event.threshold = watch.last.threshold;
        event.at_ms = now_ms;
        event.delivery = !step.notify ? "suppressed" : rule.notify.empty() ? "none" : "pending";
        outgoing.push_back({std::move(event), step.notify && !rule.notify.empty(), rule.notify});
      };
      if (rule.channel == "*") {
        for (const auto& sample : samples) check(sample);
      } else {
        bool found = false;
        for (const auto& sample : samples)
          if (sample.channel == rule.channel) {
            check(sample);
            found = true;
          }
        if (!found) {
          ChannelSample missing;
          missing.channel = rule.channel;
          missing.deployed = false;
          check(missing);
        }
      }
    }
  }
  for (auto& out : outgoing) {
    const std::string line = "alert " + out.event.kind + ": " + out.event.rule + " on channel " + out.event.channel +
                             ": " + out.event.reason +
                             (out.event.delivery == "suppressed" ? " (quiet period: not notified)" : "");
    if (out.event.kind == "fired") logger::warn("alerts", line);
    else logger::info("alerts", line);
    const bool send = out.notify;
    record(out.event, !send);
    if (send) outbox_.post(std::move(out.event), std::move(out.targets));
  }
}

void AlertRunner::report(AlertEvent event) {
  std::vector<std::string> targets;
  {
    std::lock_guard lock(mutex_);
    event.id = next_id_++;
    for (const auto& rule : config_.rules)
      if (rule.channel == "*" || rule.channel == event.channel)
        for (const auto& target : rule.notify)
          if (std::find(targets.begin(), targets.end(), target) == targets.end()) targets.push_back(target);
  }
  if (event.at_ms == 0) event.at_ms = unix_time_ms();
  event.delivery = targets.empty() ? "none" : "pending";
  logger::warn("alerts", "alert " + event.kind + " on channel " + event.channel + ": " + event.reason);
  const bool send = !targets.empty();
  record(event, !send);
  if (send) outbox_.post(std::move(event), std::move(targets));
}

void AlertRunner::record(AlertEvent event, bool final) {
  Sink sink;
  {
    std::lock_guard lock(mutex_);
    events_.push_front(event);
    while (events_.size() > kRecentEvents) events_.pop_back();
    if (final) sink = sink_;
  }
  if (sink) sink(event);
}

void AlertRunner::finished(AlertEvent event) {
  Sink sink;
  {
    std::lock_guard lock(mutex_);
    for (auto& kept : events_)
      if (kept.id == event.id) kept = event;
    sink = sink_;
  }
  if (sink) sink(event);
}

void AlertRunner::run() {
  std::unique_lock lock(wake_mutex_);
  for (;;) {
    lock.unlock();
    try {
      evaluate(sample(), unix_time_ms());
    } catch (const std::exception& e) {
      // A store read failing now (a locked database) must not end alerting.
      logger::error("alerts", std::string("sampling failed: ") + e.what());
    }
    lock.lock();
    if (wake_.wait_for(lock, config_.interval, [&] { return stopping_; })) return;
  }
}

}  // namespace artery
