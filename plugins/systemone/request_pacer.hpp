// When the next request may go: SystmOne serves at most one request per
// second and one full GetPatientRecord per 30 seconds, and may silently drop
// what exceeds that, so the destination waits instead of being throttled.
#pragma once
#include <chrono>
#include <optional>

namespace artery::systemone {

class RequestPacer {
 public:
  using Clock = std::chrono::steady_clock;

  RequestPacer(std::chrono::milliseconds min_gap, std::chrono::milliseconds record_gap)
      : min_gap_(min_gap), record_gap_(record_gap) {}

  // The earliest moment a request (a full patient record or not) may be sent.
  Clock::time_point earliest(bool full_patient_record) const {
    Clock::time_point at = Clock::time_point::min();
    if (last_request_ && min_gap_.count() > 0) at = *last_request_ + min_gap_;
    if (full_patient_record && last_record_ && record_gap_.count() > 0) at = std::max(at, *last_record_ + record_gap_);
    return at;
  }

  // Call when a request is written.
  void sent(bool full_patient_record, Clock::time_point at = Clock::now()) {
    last_request_ = at;
    if (full_patient_record) last_record_ = at;
  }

 private:
  std::chrono::milliseconds min_gap_;
  std::chrono::milliseconds record_gap_;
  std::optional<Clock::time_point> last_request_;
  std::optional<Clock::time_point> last_record_;
};

}  // namespace artery::systemone
