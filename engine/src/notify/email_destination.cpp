#include "notify/email_destination.hpp"

#include "notify/notify_options.hpp"

namespace artery {
namespace {

class EmailDestination final : public Destination {
 public:
  EmailDestination(notify::EmailSettings settings, ConnectorContext& context)
      : settings_(std::move(settings)), context_(context) {}

  bool start(std::string& error) override {
    std::string problem;
    settings_.smtp.password = settings_.password.resolve(problem);
    if (!problem.empty()) error = "password: " + problem;
    return problem.empty();
  }

  void send(OutboundMessage message, std::function<void(SendResult)> done) override {
    auto vars = std::move(message.vars);
    vars["message_id"] = std::to_string(message.message_id);
    vars["content"] = std::move(message.content);
    std::string error;
    auto email = notify::email_content(settings_, vars, error);
    if (!email) {
      done({SendResult::Status::rejected, {}, error});
      return;
    }
    context_.metrics().add_request();
    context_.metrics().add_bytes_out(email->body.size());
    auto result = notify::send_email(settings_.smtp, *email);
    if (result.ok) {
      done({SendResult::Status::sent, std::move(result.reply), {}});
      return;
    }
    if (result.code == 0) context_.metrics().add_error(ConnectorError::io);
    done({result.transient ? SendResult::Status::retry : SendResult::Status::rejected, {}, std::move(result.error)});
  }

 private:
  notify::EmailSettings settings_;
  ConnectorContext& context_;
};

std::unique_ptr<Destination> create(const ConnectorOptions& options, ConnectorContext& context,
                                    std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Destination> {
    auto settings = notify::read_email_settings(options, context.base_dir(), error);
    if (!settings) return nullptr;
    return std::make_unique<EmailDestination>(std::move(*settings), context);
  });
}

}  // namespace

const PluginDescriptor* email_destination_descriptor() {
  static const PluginDescriptor descriptor{kApiMajor,
                                           kApiMinor,
                                           &kBuildFingerprint,
                                           "email",
                                           kEngineVersion,
                                           "Built-in destination: each message as an email over SMTP",
                                           nullptr,
                                           nullptr,
                                           0,
                                           notify::kEmailOptions,
                                           notify::kEmailOptionCount,
                                           nullptr,
                                           create};
  return &descriptor;
}

}  // namespace artery
