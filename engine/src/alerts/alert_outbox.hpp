// Sends alert notifications to their targets on a thread of its own, so a
// slow or dead mail server never delays sampling. Each target is tried up to
// four times (waiting 1 s, 2 s, 4 s) while the failure is transient; then the
// event is finished with each target's outcome. Notifications live in memory
// only: an alert is about now, and one still failing at shutdown is dropped
// (and said so in its event).
#pragma once
#include "alerts/alert_config.hpp"
#include "alerts/alert_event.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace artery {

class AlertOutbox {
 public:
  using Finished = std::function<void(AlertEvent)>;

  AlertOutbox(const std::vector<AlertTarget>& targets, Finished finished);
  ~AlertOutbox();

  // Reads every target's settings; false with `error` for the first that is
  // unusable (a missing environment variable for a password, ...). The ones
  // that are usable are used anyway.
  bool prepare(std::string& error);
  void start();
  // Sends `event` to `targets` (names), then calls `finished`.
  void post(AlertEvent event, std::vector<std::string> targets);
  // Ends the thread; an event still being retried is finished as failed.
  void stop();

 private:
  struct Prepared;
  struct Job {
    AlertEvent event;
    std::vector<std::string> targets;
  };
  void run();
  AlertDelivery deliver(const Prepared& target, const AlertEvent& event);
  bool wait(std::chrono::milliseconds delay);  // false when stopping

  std::vector<AlertTarget> targets_;
  std::vector<std::unique_ptr<Prepared>> prepared_;
  Finished finished_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery
