#include "alerts/alert_state.hpp"

namespace artery {

AlertState::Step AlertState::observe(bool active, std::int64_t now_ms) {
  const bool quiet_over = !last_fired_notice_ms_ || now_ms - *last_fired_notice_ms_ >= quiet_ms_;
  if (!active) {
    active_since_ms_.reset();
    if (!firing_) return {};
    firing_ = false;
    const bool notify = announced_;
    announced_ = false;
    return {Change::resolved, notify};
  }
  if (!active_since_ms_) active_since_ms_ = now_ms;
  if (!firing_) {
    if (now_ms - *active_since_ms_ < hold_ms_) return {};
    firing_ = true;
    firing_since_ms_ = now_ms;
    announced_ = quiet_over;
    if (announced_) last_fired_notice_ms_ = now_ms;
    return {Change::fired, announced_};
  }
  if (!announced_ && quiet_over) {
    // Fired again inside the quiet period (kept quiet) and still holds now it is over.
    announced_ = true;
    last_fired_notice_ms_ = now_ms;
    return {Change::fired, true};
  }
  return {};
}

}  // namespace artery
