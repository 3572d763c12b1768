#include "admin/stats_sampler.hpp"

#include "clock/unix_time.hpp"

namespace artery::admin {
StatsSampler::StatsSampler(ChannelRegistry& channels, std::chrono::milliseconds every, std::size_t keep)
    : channels_(channels), every_(every), keep_(keep) {}

StatsSampler::~StatsSampler() { stop(); }

void StatsSampler::start() {
  take();  // the first page load has a sample at once
  thread_ = std::thread([this] { run(); });
}

void StatsSampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StatsSampler::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, every_, [this] { return stopping_; })) {
    lock.unlock();
    take();
    lock.lock();
  }
}

void StatsSampler::take() {
  auto sample = std::make_shared<StatsSample>();
  sample->at_ms = unix_time_ms();
  sample->channels = channels_.snapshot();
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mutex_);
    history_.push_back(sample);
    while (history_.size() > keep_) history_.pop_front();
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) listener(*sample);
}

std::shared_ptr<const StatsSample> StatsSampler::latest() const {
  std::lock_guard lock(mutex_);
  return history_.empty() ? nullptr : history_.back();
}

std::map<std::string, ChannelRates> StatsSampler::rates(std::chrono::seconds window) const {
  std::shared_ptr<const StatsSample> first, last;
  {
    std::lock_guard lock(mutex_);
    if (history_.empty()) return {};
    last = history_.back();
    const std::int64_t from = last->at_ms - std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
    for (const auto& sample : history_) {
      if (sample->at_ms >= from) {
        first = sample;
        break;
      }
    }
  }
  std::map<std::string, ChannelRates> out;
  const double seconds = std::max<std::int64_t>(last->at_ms - first->at_ms, 1) / 1000.0;
  for (const auto& now : last->channels) {
    ChannelRates& r = out[now.name];
    for (const auto& then : first->channels) {
      if (then.name != now.name) continue;
      // A counter that went down (a channel redeployed from stored totals) counts from zero.
      r.received = std::max<std::int64_t>(now.counters.received - then.counters.received, 0);
      r.errored = std::max<std::int64_t>(now.counters.errored - then.counters.errored, 0);
      const std::int64_t sent = std::max<std::int64_t>(now.counters.sent - then.counters.sent, 0);
      if (first != last) {
        r.received_per_second = r.received / seconds;
        r.errored_per_second = r.errored / seconds;
        r.sent_per_second = sent / seconds;
      }
    }
  }
  return out;
}

std::uint64_t StatsSampler::subscribe(Listener listener) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void StatsSampler::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

}  // namespace artery::admin
