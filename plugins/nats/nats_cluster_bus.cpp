#include "nats_cluster_bus.hpp"

#include "connection_options.hpp"
#include "nats_connection.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <future>
#include <mutex>

namespace artery::nats {
namespace {

constexpr auto kBusOptions = with_connection_options(std::array<OptionSpec, 0>{});

// What nats.c calls back with for one subscription. Freed by the
// subscription's owner once nats.c says (on-complete) that the handler has
// returned for the last time.
struct SubscriptionState {
  ClusterBus::Handler handler;
  std::promise<void> complete;

  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<SubscriptionState*>(closure);
    const char* data = natsMsg_GetData(msg);
    const int length = natsMsg_GetDataLength(msg);
    const char* reply = natsMsg_GetReply(msg);
    try {
      self->handler(natsMsg_GetSubject(msg), std::string_view(data ? data : "", length > 0 ? length : 0),
                    reply ? std::string(reply) : std::string());
    } catch (...) {
      // The engine's handlers do not throw; if one did, the message is dropped, not the thread.
    }
    natsMsg_Destroy(msg);
  }
  static void on_complete(void* closure) { static_cast<SubscriptionState*>(closure)->complete.set_value(); }
};

class NatsClusterSubscription final : public ClusterSubscription {
 public:
  NatsClusterSubscription(natsSubscription* sub, std::unique_ptr<SubscriptionState> state, bool completes)
      : sub_(sub), state_(std::move(state)), completes_(completes) {}
  ~NatsClusterSubscription() override {
    auto done = state_->complete.get_future();
    natsSubscription_Unsubscribe(sub_);
    // The handler may be running on nats.c's thread: wait until it returned
    // (on-complete comes after the last call). Bounded, in case the
    // connection closed under us and nats.c completed it already.
    if (completes_) done.wait_for(std::chrono::seconds(10));
    natsSubscription_Destroy(sub_);
  }

 private:
  natsSubscription* sub_;
  std::unique_ptr<SubscriptionState> state_;
  bool completes_;
};

class NatsClusterBus final : public ClusterBus {
 public:
  explicit NatsClusterBus(std::unique_ptr<NatsConnection> connection) : connection_(std::move(connection)) {}

  bool publish(const std::string& subject, std::string_view data, std::string& error) override {
    const natsStatus s = natsConnection_Publish(connection_->raw(), subject.c_str(), data.data(),
                                                static_cast<int>(data.size()));
    if (s == NATS_OK) return true;
    error = "NATS publish on " + subject + ": " + describe_status(s);
    return false;
  }

  std::unique_ptr<ClusterSubscription> subscribe(const std::string& subject, Handler handler,
                                                 std::string& error) override {
    auto state = std::make_unique<SubscriptionState>();
    state->handler = std::move(handler);
    natsSubscription* sub = nullptr;
    const natsStatus s =
        natsConnection_Subscribe(&sub, connection_->raw(), subject.c_str(), &SubscriptionState::on_message, state.get());
    if (s != NATS_OK) {
      error = "NATS subscribe to " + subject + ": " + describe_status(s);
      return nullptr;
    }
    const bool completes =
        natsSubscription_SetOnCompleteCB(sub, &SubscriptionState::on_complete, state.get()) == NATS_OK;
    return std::make_unique<NatsClusterSubscription>(sub, std::move(state), completes);
  }

  std::optional<std::string> request(const std::string& subject, std::string_view data,
                                     std::chrono::milliseconds timeout, std::string& error) override {
    natsMsg* reply = nullptr;
    const natsStatus s = natsConnection_Request(&reply, connection_->raw(), subject.c_str(), data.data(),
                                                static_cast<int>(data.size()), timeout.count());
    if (s != NATS_OK) {
      error = s == NATS_TIMEOUT ? "no answer within " + std::to_string(timeout.count()) + " ms"
              : s == NATS_NO_RESPONDERS ? std::string("nobody answers on ") + subject
                                        : "NATS request on " + subject + ": " + describe_status(s);
      return std::nullopt;
    }
    const char* bytes = natsMsg_GetData(reply);
    std::string out(bytes ? bytes : "", static_cast<std::size_t>(std::max(natsMsg_GetDataLength(reply), 0)));
    natsMsg_Destroy(reply);
    return out;
  }

  std::size_t max_payload() const override {
    const int64_t max = natsConnection_GetMaxPayload(connection_->raw());
    return max > 0 ? static_cast<std::size_t>(max) : 0;
  }

 private:
  std::unique_ptr<NatsConnection> connection_;
};

}  // namespace

const OptionSpec* const kClusterBusOptions = kBusOptions.data();
const std::size_t kClusterBusOptionCount = kBusOptions.size();

std::unique_ptr<ClusterBus> open_cluster_bus(const ConnectorOptions& options, const std::string& name,
                                             const std::filesystem::path& base_dir,
                                             std::function<void(LogLevel, std::string_view)> log,
                                             std::string& error) {
  OptionReader in(options, kClusterBusOptions, kClusterBusOptionCount);
  ConnectionSettings settings = read_connection_settings(in, base_dir, name);
  if (!in.ok()) {
    error = in.error();
    return nullptr;
  }
  auto connection = NatsConnection::open_or_retry(settings, std::move(log), error);
  if (!connection) return nullptr;
  return std::make_unique<NatsClusterBus>(std::move(connection));
}

}  // namespace artery::nats
