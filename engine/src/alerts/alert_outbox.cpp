#include "alerts/alert_outbox.hpp"

#include "alerts/alert_notification.hpp"
#include "log/logger.hpp"
#include "notify/notify_options.hpp"

#include <artery/message.hpp>

#include <optional>

namespace artery {

struct AlertOutbox::Prepared {
  std::string name, type;
  std::optional<notify::WebhookSettings> webhook;
  std::optional<notify::EmailSettings> email;
  std::string problem;  // why it cannot be used (then every delivery to it fails with this)
};

AlertOutbox::AlertOutbox(const std::vector<AlertTarget>& targets, Finished finished)
    : targets_(targets), finished_(std::move(finished)) {}

AlertOutbox::~AlertOutbox() { stop(); }

bool AlertOutbox::prepare(std::string& error) {
  prepared_.clear();
  for (const auto& target : targets_) {
    auto p = std::make_unique<Prepared>();
    p->name = target.name;
    p->type = target.type;
    std::string problem;
    if (target.type == "webhook") {
      p->webhook = notify::read_webhook_settings(target.options, target.base_dir, problem);
    } else {
      p->email = notify::read_email_settings(target.options, target.base_dir, problem);
      if (p->email) {
        p->email->smtp.password = p->email->password.resolve(problem);
        if (!problem.empty()) problem = "password: " + problem;
      }
    }
    if (p->webhook && p->webhook->auth != notify::HttpAuth::Kind::none) {
      if (p->webhook->auth == notify::HttpAuth::Kind::basic) p->webhook->password.resolve(problem);
      else p->webhook->token.resolve(problem);
      if (!problem.empty()) problem = "auth: " + problem;
    }
    if (!problem.empty()) {
      p->problem = problem;
      if (error.empty()) error = "alert target " + target.name + ": " + problem;
    }
    prepared_.push_back(std::move(p));
  }
  return error.empty();
}

void AlertOutbox::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void AlertOutbox::post(AlertEvent event, std::vector<std::string> targets) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({std::move(event), std::move(targets)});
  }
  wake_.notify_all();
}

void AlertOutbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool AlertOutbox::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

AlertDelivery AlertOutbox::deliver(const Prepared& target, const AlertEvent& event) {
  AlertDelivery out{target.name, target.type, false, 0, {}};
  if (!target.problem.empty()) {
    out.error = target.problem;
    return out;
  }
  const auto vars = alert_vars(event);
  std::chrono::milliseconds delay{1000};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    out.attempts = attempt;
    bool transient = false;
    std::string error;
    if (target.webhook) {
      auto request = notify::webhook_request(*target.webhook, vars, alert_json(event), data_type::json, error);
      if (request) {
        auto result = notify::send_http(*request);
        out.ok = result.ok;
        transient = result.transient;
        error = result.error;
      }
    } else {
      auto email = notify::email_content(*target.email, vars, error);
      if (email) {
        auto result = notify::send_email(target.email->smtp, *email);
        out.ok = result.ok;
        transient = result.transient;
        error = result.error;
      }
    }
    if (out.ok) {
      out.error.clear();
      return out;
    }
    out.error = error;
    if (!transient || attempt == 4) break;
    logger::warn("alerts", "notifying " + target.name + " of " + event.rule + " on " + event.channel +
                               " failed (attempt " + std::to_string(attempt) + ", retrying): " + error);
    if (!wait(delay)) {
      out.error += " (engine stopping: not retried)";
      break;
    }
    delay *= 2;
  }
  return out;
}

void AlertOutbox::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (stopping_) {
        // Shutdown should not wait out every target's timeouts.
        job.event.delivery = "failed";
        for (const auto& name : job.targets)
          job.event.deliveries.push_back({name, "", false, 0, "engine stopped before it was sent"});
        lock.unlock();
        finished_(std::move(job.event));
        continue;
      }
    }
    bool all_ok = true;
    for (const auto& name : job.targets) {
      const Prepared* target = nullptr;
      for (const auto& p : prepared_)
        if (p->name == name) target = p.get();
      AlertDelivery delivery = target ? deliver(*target, job.event)
                                      : AlertDelivery{name, "", false, 0, "no alert target named '" + name + "'"};
      if (!delivery.ok) {
        all_ok = false;
        logger::error("alerts", "could not notify " + name + " of " + job.event.kind + " " + job.event.rule +
                                    " on " + job.event.channel + ": " + delivery.error);
      }
      job.event.deliveries.push_back(std::move(delivery));
    }
    job.event.delivery = all_ok ? "ok" : "failed";
    finished_(std::move(job.event));
  }
}

}  // namespace artery
