#include "notify/webhook_destination.hpp"

#include "notify/notify_options.hpp"

namespace artery {
namespace {

class WebhookDestination final : public Destination {
 public:
  WebhookDestination(notify::WebhookSettings settings, ConnectorContext& context)
      : settings_(std::move(settings)), context_(context) {}

  bool start(std::string& error) override {
    // A secret from the environment must be there when the channel starts,
    // not discovered at the first message.
    std::string problem;
    if (settings_.auth == notify::HttpAuth::Kind::basic) settings_.password.resolve(problem);
    if (settings_.auth == notify::HttpAuth::Kind::bearer) settings_.token.resolve(problem);
    if (!problem.empty()) error = "auth: " + problem;
    return problem.empty();
  }

  void send(OutboundMessage message, std::function<void(SendResult)> done) override {
    auto vars = std::move(message.vars);
    vars["message_id"] = std::to_string(message.message_id);
    std::string error;
    auto request = notify::webhook_request(settings_, vars, std::move(message.content), message.data_type, error);
    if (!request) {
      done({SendResult::Status::rejected, {}, error});
      return;
    }
    context_.metrics().add_request();
    context_.metrics().add_bytes_out(request->body.size());
    auto result = notify::send_http(*request);
    context_.metrics().add_bytes_in(result.body.size());
    if (result.ok) {
      done({SendResult::Status::sent, std::move(result.body), {}});
      return;
    }
    if (result.status == 0) context_.metrics().add_error(ConnectorError::io);
    done({result.transient ? SendResult::Status::retry : SendResult::Status::rejected, std::move(result.body),
          std::move(result.error)});
  }

 private:
  notify::WebhookSettings settings_;
  ConnectorContext& context_;
};

std::unique_ptr<Destination> create(const ConnectorOptions& options, ConnectorContext& context,
                                    std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Destination> {
    auto settings = notify::read_webhook_settings(options, context.base_dir(), error);
    if (!settings) return nullptr;
    return std::make_unique<WebhookDestination>(std::move(*settings), context);
  });
}

}  // namespace

const PluginDescriptor* webhook_destination_descriptor() {
  static const PluginDescriptor descriptor{kApiMajor,
                                           kApiMinor,
                                           &kBuildFingerprint,
                                           "webhook",
                                           kEngineVersion,
                                           "Built-in destination: HTTP(S) POST or PUT of each message",
                                           nullptr,
                                           nullptr,
                                           0,
                                           notify::kWebhookOptions,
                                           notify::kWebhookOptionCount,
                                           nullptr,
                                           create};
  return &descriptor;
}

}  // namespace artery
