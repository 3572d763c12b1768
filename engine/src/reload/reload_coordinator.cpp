#include "reload/reload_coordinator.hpp"

#include "clock/unix_time.hpp"
#include "log/logger.hpp"

#include <exception>
#include <map>

namespace artery {
namespace {

// One line per reload: what asked for it, what it did, how long it took.
std::string summary(const ReloadOutcome& outcome) {
  std::string triggers;
  for (const auto& trigger : outcome.triggers) triggers += (triggers.empty() ? "" : ", ") + trigger;
  std::map<std::string, int> actions;
  for (const auto& change : outcome.changes) ++actions[change.ok ? change.action : change.action + " (failed)"];
  std::string did;
  for (const auto& [action, count] : actions) did += (did.empty() ? "" : ", ") + std::to_string(count) + " " + action;
  if (did.empty()) did = "nothing changed";
  return "reload #" + std::to_string(outcome.id) + " (" + triggers + "): " + did + ", " +
         std::to_string(outcome.unchanged) + " unchanged, in " +
         std::to_string(outcome.finished_ms - outcome.started_ms) + " ms" + (outcome.ok ? "" : "; not everything was applied");
}

}  // namespace

ReloadCoordinator::ReloadCoordinator(Pass pass) : pass_(std::move(pass)) {
  thread_ = std::thread([this] { loop(); });
}

ReloadCoordinator::~ReloadCoordinator() { stop(); }

std::shared_future<ReloadOutcome> ReloadCoordinator::request(ReloadRequest request) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    std::promise<ReloadOutcome> refused;
    ReloadOutcome outcome;
    outcome.ok = false;
    outcome.triggers = request.triggers;
    outcome.error = "reload not carried out: the engine is stopping";
    refused.set_value(std::move(outcome));
    return refused.get_future().share();
  }
  if (!pending_) {
    pending_ = std::make_unique<Batch>();
    pending_->future = pending_->promise.get_future().share();
  }
  pending_->request.merge(request);
  auto future = pending_->future;
  wake_.notify_all();
  return future;
}

ReloadCoordinator::Status ReloadCoordinator::status() const {
  std::lock_guard lock(mutex_);
  return {running_, pending_ != nullptr, last_};
}

void ReloadCoordinator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::unique_ptr<Batch> left;
  {
    std::lock_guard lock(mutex_);
    left = std::move(pending_);
  }
  if (left) {
    ReloadOutcome outcome;
    outcome.ok = false;
    outcome.triggers = left->request.triggers;
    outcome.error = "reload not carried out: the engine is stopping";
    left->promise.set_value(std::move(outcome));
  }
}

void ReloadCoordinator::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || pending_; });
    if (stopping_) return;
    // Taken whole: whatever arrives from now on waits for the next pass,
    // since this one may already have read the files it is about.
    auto batch = std::move(pending_);
    running_ = true;
    const std::int64_t id = next_id_++;
    lock.unlock();
    ReloadOutcome outcome;
    const std::int64_t started = unix_time_ms();
    try {
      outcome = pass_(batch->request);
    } catch (const std::exception& e) {
      outcome = {};
      outcome.ok = false;
      outcome.error = std::string("reload failed: ") + e.what();
    }
    outcome.id = id;
    outcome.started_ms = started;
    outcome.finished_ms = unix_time_ms();
    outcome.triggers = batch->request.triggers;
    if (outcome.ok) logger::info("reload", summary(outcome));
    else logger::warn("reload", summary(outcome));
    if (!outcome.plugins.empty()) logger::warn("reload", outcome.plugins);
    lock.lock();
    running_ = false;
    last_ = outcome;
    lock.unlock();
    batch->promise.set_value(std::move(outcome));
    lock.lock();
  }
}

}  // namespace artery
