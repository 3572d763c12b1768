#include "memory_connector.hpp"

#include <atomic>
#include <map>

namespace artery::testing {
namespace {

std::mutex hub_mutex;
std::map<std::string, std::shared_ptr<MemorySourceEndpoint>>& sources() {
  static std::map<std::string, std::shared_ptr<MemorySourceEndpoint>> map;
  return map;
}
std::map<std::string, std::shared_ptr<MemoryDestinationEndpoint>>& destinations() {
  static std::map<std::string, std::shared_ptr<MemoryDestinationEndpoint>> map;
  return map;
}

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::shared_ptr<MemorySourceEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  ~MemorySource() override { endpoint_->detach(host_); }
  bool start(SourceHost& host, std::string&) override {
    host_ = &host;
    endpoint_->attach(&host);
    return true;
  }
  void stop() override { endpoint_->detach(host_); }

 private:
  std::shared_ptr<MemorySourceEndpoint> endpoint_;
  SourceHost* host_ = nullptr;
};

class MemoryDestination final : public Destination {
 public:
  explicit MemoryDestination(std::shared_ptr<MemoryDestinationEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  void stop() override { endpoint_->stop(); }
  void send(OutboundMessage message, std::function<void(SendResult)> done) override {
    endpoint_->send(std::move(message), std::move(done));
  }

 private:
  std::shared_ptr<MemoryDestinationEndpoint> endpoint_;
};

std::unique_ptr<Source> create_source(const ConnectorOptions& options, ConnectorContext&, std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    return std::make_unique<MemorySource>(memory_source(options.tree.get<std::string>("id")));
  });
}

std::unique_ptr<Destination> create_destination(const ConnectorOptions& options, ConnectorContext&,
                                                std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Destination> {
    return std::make_unique<MemoryDestination>(memory_destination(options.tree.get<std::string>("id")));
  });
}

}  // namespace

const PluginDescriptor* memory_plugin_descriptor() {
  static const OptionSpec options[] = {
      {"id", "string", nullptr, true, "the test endpoint this connector talks to"},
  };
  static const PluginDescriptor descriptor{kApiMajor,        kApiMinor,        &kBuildFingerprint, "memory",       kEngineVersion,
                                           "in-memory connector for runtime tests", data_type::text,
                                           options,          std::size(options), options,      std::size(options),
                                           &create_source,   &create_destination};
  return &descriptor;
}

std::string unique_memory_id(const std::string& prefix) {
  static std::atomic<int> next{0};
  return prefix + "-" + std::to_string(++next);
}

std::shared_ptr<MemorySourceEndpoint> memory_source(const std::string& id) {
  std::lock_guard lock(hub_mutex);
  auto& slot = sources()[id];
  if (!slot) slot = std::make_shared<MemorySourceEndpoint>();
  return slot;
}

std::shared_ptr<MemoryDestinationEndpoint> memory_destination(const std::string& id) {
  std::lock_guard lock(hub_mutex);
  auto& slot = destinations()[id];
  if (!slot) slot = std::make_shared<MemoryDestinationEndpoint>();
  return slot;
}

// ---- source ----

std::shared_future<Disposition> MemorySourceEndpoint::submit(std::string content, std::string data_type) {
  auto promise = std::make_shared<std::promise<Disposition>>();
  std::shared_future<Disposition> future = promise->get_future().share();
  auto done = [this, promise](Disposition d) {
    std::function<void(const Disposition&)> check;
    {
      std::lock_guard lock(mutex_);
      check = check_;
    }
    if (check) check(d);
    {
      std::lock_guard lock(mutex_);
      dispositions_.push_back(d);
    }
    promise->set_value(std::move(d));
  };
  // Holds the attach lock (shared) across host->submit so that detach() (the
  // source's stop) waits for a call in progress, as the Source contract asks.
  std::shared_lock attached(attach_mutex_);
  if (!host_) {
    attached.unlock();
    done({Disposition::Status::unavailable, 0, {}, "memory source not started"});
    return future;
  }
  host_->submit(Message{std::move(content), std::move(data_type), {{"endpoint", "memory"}}}, std::move(done));
  return future;
}

void MemorySourceEndpoint::on_disposition(std::function<void(const Disposition&)> check) {
  std::lock_guard lock(mutex_);
  check_ = std::move(check);
}

bool MemorySourceEndpoint::started() const {
  std::shared_lock lock(attach_mutex_);
  return host_ != nullptr;
}

std::size_t MemorySourceEndpoint::answered() const {
  std::lock_guard lock(mutex_);
  return dispositions_.size();
}

std::vector<Disposition> MemorySourceEndpoint::dispositions() const {
  std::lock_guard lock(mutex_);
  return dispositions_;
}

void MemorySourceEndpoint::attach(SourceHost* host) {
  std::unique_lock lock(attach_mutex_);
  host_ = host;
}

void MemorySourceEndpoint::detach(const SourceHost* host) {
  std::unique_lock lock(attach_mutex_);
  // A redeploy's new version attaches before the old one stops: the old
  // one's stop must not detach the new one.
  if (host_ == host) host_ = nullptr;
}

// ---- destination ----

void MemoryDestinationEndpoint::queue_outcomes(std::vector<SendResult> outcomes) {
  std::lock_guard lock(mutex_);
  for (auto& o : outcomes) outcomes_.push_back(std::move(o));
}

void MemoryDestinationEndpoint::respond_with(Responder responder) {
  std::lock_guard lock(mutex_);
  responder_ = std::move(responder);
}

void MemoryDestinationEndpoint::hold(bool on) {
  std::lock_guard lock(mutex_);
  hold_ = on;
}

void MemoryDestinationEndpoint::release(SendResult result) {
  std::function<void(SendResult)> done;
  {
    std::lock_guard lock(mutex_);
    done = std::move(held_);
    held_ = nullptr;
    if (done && result.status == SendResult::Status::sent) delivered_.push_back(held_message_);
  }
  if (done) done(std::move(result));
}

bool MemoryDestinationEndpoint::in_flight() const {
  std::lock_guard lock(mutex_);
  return held_ != nullptr;
}

std::vector<MemoryDestinationEndpoint::Attempt> MemoryDestinationEndpoint::attempts() const {
  std::lock_guard lock(mutex_);
  return attempts_;
}

std::size_t MemoryDestinationEndpoint::attempt_count() const {
  std::lock_guard lock(mutex_);
  return attempts_.size();
}

std::vector<OutboundMessage> MemoryDestinationEndpoint::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

std::size_t MemoryDestinationEndpoint::delivered_count() const {
  std::lock_guard lock(mutex_);
  return delivered_.size();
}

int MemoryDestinationEndpoint::stop_calls() const {
  std::lock_guard lock(mutex_);
  return stop_calls_;
}

void MemoryDestinationEndpoint::send(OutboundMessage message, std::function<void(SendResult)> done) {
  SendResult result{SendResult::Status::sent, "ok", {}};
  {
    std::lock_guard lock(mutex_);
    attempts_.push_back({message, std::chrono::steady_clock::now()});
    if (hold_) {
      held_ = std::move(done);
      held_message_ = std::move(message);
      return;
    }
    if (!outcomes_.empty()) {
      result = std::move(outcomes_.front());
      outcomes_.pop_front();
    } else if (responder_) {
      result = responder_(message);
    }
    if (result.status == SendResult::Status::sent) delivered_.push_back(message);
  }
  done(std::move(result));
}

void MemoryDestinationEndpoint::stop() {
  {
    std::lock_guard lock(mutex_);
    ++stop_calls_;
  }
  // A real connector abandons its send in flight when stopped: a transient failure.
  release({SendResult::Status::retry, {}, "destination stopped"});
}

}  // namespace artery::testing
