// Remembers which messages a listener accepted recently (by sender and control
// id) so a sender that resends after a lost ACK is answered without the
// message being stored twice. Thread-safe; shared by all connections.
#pragma once
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace artery::mllp {

class DuplicateWindow {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DuplicateWindow(std::chrono::milliseconds window) : window_(window) {}

  // "MSH-3|MSH-4|MSH-10"; empty when there is no control id to go by.
  static std::string key(std::string_view application, std::string_view facility, std::string_view control_id);

  // True when `key` was remembered less than the window ago.
  bool contains(const std::string& key, Clock::time_point now = Clock::now());
  void remember(const std::string& key, Clock::time_point now = Clock::now());
  std::size_t size();

 private:
  void expire(Clock::time_point now);

  std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> accepted_;
  std::deque<std::pair<Clock::time_point, std::string>> order_;  // oldest first, for expiry
};

}  // namespace artery::mllp
