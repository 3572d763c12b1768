// The life of one alert (one rule on one channel): ok -> (held for `hold`)
// firing -> ok again. It decides when to notify: a "fired" at most once per
// quiet period, so an outage or a flapping condition sends one alert; a
// firing that was kept quiet is announced once the quiet period is over if it
// still holds; a "resolved" only for a firing that was announced. Pure logic
// on timestamps, so it is tested without clocks or threads.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>

namespace artery {

class AlertState {
 public:
  enum class Change { none, fired, resolved };
  struct Step {
    Change change = Change::none;
    bool notify = false;  // false: recorded, but kept quiet by the quiet period
  };

  AlertState(std::chrono::milliseconds hold, std::chrono::milliseconds quiet_period)
      : hold_ms_(hold.count()), quiet_ms_(quiet_period.count()) {}

  // One sample: whether the condition holds at `now_ms`.
  Step observe(bool active, std::int64_t now_ms);

  bool firing() const { return firing_; }
  std::int64_t firing_since_ms() const { return firing_since_ms_; }  // when firing
  bool announced() const { return announced_; }  // the current firing was notified
  std::optional<std::int64_t> last_notified_ms() const { return last_fired_notice_ms_; }

 private:
  std::int64_t hold_ms_, quiet_ms_;
  std::optional<std::int64_t> active_since_ms_;
  bool firing_ = false;
  bool announced_ = false;
  std::int64_t firing_since_ms_ = 0;
  std::optional<std::int64_t> last_fired_notice_ms_;
};

}  // namespace artery
