#include "runtime/channel_destination.hpp"

namespace artery {
namespace {

// A channel whose messages come only from other channels: it listens to
// nothing, and the engine submits routed messages into the channel directly.
class RoutedOnlySource final : public Source {
 public:
  bool start(SourceHost&, std::string&) override { return true; }
  void stop() override {}
};

std::unique_ptr<Source> create_routed_only_source(const ConnectorOptions&, ConnectorContext&,
                                                  std::string& error) noexcept {
  return guarded_create(error, [] { return std::make_unique<RoutedOnlySource>(); });
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

SendResult routed_send_result(const std::string& target, const Disposition& d) {
  const std::string where = "channel " + target + " message " + std::to_string(d.message_id);
  switch (d.status) {
    case Disposition::Status::accepted:
      return {SendResult::Status::sent, d.response.empty() ? where + " (accepted)" : d.response, {}};
    case Disposition::Status::filtered:
      return {SendResult::Status::sent, d.response.empty() ? where + " (filtered)" : d.response, {}};
    case Disposition::Status::errored:
    case Disposition::Status::rejected:
      return {SendResult::Status::rejected, d.response, where + " is ERROR: " + first_line(d.error)};
    case Disposition::Status::unavailable:
      break;
  }
  return {SendResult::Status::retry, {}, "channel " + target + " did not store it: " + d.error};
}

ChannelDestination::ChannelDestination(std::string target, ChannelDirectory& directory, std::string channel)
    : target_(std::move(target)), directory_(directory), channel_(std::move(channel)) {}

void ChannelDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  auto lookup = directory_.route(target_, std::move(message.content), {channel_, message.message_id},
                                 [done, target = target_](Disposition d) { done(routed_send_result(target, d)); });
  // Not there now: it may be starting, or fixed and deployed later. Validation
  // has checked the name, so keep the message queued and try again.
  if (lookup == ChannelDirectory::Lookup::not_running)
    done({SendResult::Status::retry, {}, "channel " + target_ + " is not running"});
  else if (lookup == ChannelDirectory::Lookup::unknown)
    done({SendResult::Status::retry, {}, "channel " + target_ + " is not deployed"});
}

const PluginDescriptor* channel_plugin_descriptor() {
  static const OptionSpec destination_options[] = {
      {"channel", "string", nullptr, true,
       "Name of the channel of this engine that receives the message (in process, no network)"},
  };
  static const PluginDescriptor descriptor{
      kApiMajor, kApiMinor, &kBuildFingerprint, "channel", kEngineVersion,
      "Built-in: a source fed only by other channels, and a destination that routes to another channel",
      data_type::hl7v2, nullptr, 0, destination_options, std::size(destination_options),
      create_routed_only_source, nullptr};
  return &descriptor;
}

}  // namespace artery
