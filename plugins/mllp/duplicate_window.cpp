#include "duplicate_window.hpp"

namespace artery::mllp {

std::string DuplicateWindow::key(std::string_view application, std::string_view facility,
                                 std::string_view control_id) {
  if (control_id.empty()) return {};
  std::string k;
  k.reserve(application.size() + facility.size() + control_id.size() + 2);
  k.append(application).append(1, '|').append(facility).append(1, '|').append(control_id);
  return k;
}

void DuplicateWindow::expire(Clock::time_point now) {
  while (!order_.empty() && now - order_.front().first >= window_) {
    auto it = accepted_.find(order_.front().second);
    // Only erase if this queue entry is the latest time for the key.
    if (it != accepted_.end() && it->second == order_.front().first) accepted_.erase(it);
    order_.pop_front();
  }
}

bool DuplicateWindow::contains(const std::string& key, Clock::time_point now) {
  if (key.empty()) return false;
  std::lock_guard lock(mutex_);
  expire(now);
  return accepted_.count(key) != 0;
}

void DuplicateWindow::remember(const std::string& key, Clock::time_point now) {
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  expire(now);
  accepted_[key] = now;
  order_.emplace_back(now, key);
}

std::size_t DuplicateWindow::size() {
  std::lock_guard lock(mutex_);
  return accepted_.size();
}

}  // namespace artery::mllp
