// The one queue of reload requests. Every trigger (inotify, SIGHUP, the admin
// API, `artery reload`) goes through it: reloads run one at a time on its own
// thread; a request that arrives while one runs is merged with any other
// waiting ones and carried out right after it, never dropped; and every caller
// gets the real outcome of the reload that covered its request.
#pragma once
#include "reload/reload_outcome.hpp"

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace artery {

class ReloadCoordinator {
 public:
  // Carries out one (merged) request; called on the coordinator's thread only.
  using Pass = std::function<ReloadOutcome(const ReloadRequest&)>;
  explicit ReloadCoordinator(Pass pass);
  ~ReloadCoordinator();  // stop()
  ReloadCoordinator(const ReloadCoordinator&) = delete;
  ReloadCoordinator& operator=(const ReloadCoordinator&) = delete;

  // Queues the request; the future holds the outcome of the reload that
  // covers it (the one after the running one, if any).
  std::shared_future<ReloadOutcome> request(ReloadRequest request);
  // request() and wait.
  ReloadOutcome run(ReloadRequest request) { return this->request(std::move(request)).get(); }

  struct Status {
    bool running = false;  // a reload is being carried out now
    bool queued = false;   // and another is waiting for it
    std::optional<ReloadOutcome> last;  // the last finished one
  };
  Status status() const;

  // Lets the running reload finish; what is still queued is answered
  // "not carried out: the engine is stopping". Idempotent.
  void stop();

 private:
  struct Batch {
    ReloadRequest request;
    std::promise<ReloadOutcome> promise;
    std::shared_future<ReloadOutcome> future;
  };
  void loop();

  Pass pass_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unique_ptr<Batch> pending_;
  bool running_ = false;
  bool stopping_ = false;
  std::int64_t next_id_ = 1;
  std::optional<ReloadOutcome> last_;
  std::thread thread_;
};

}  // namespace artery
