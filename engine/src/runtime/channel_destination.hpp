// The built-in `channel` destination (Mirth's Channel Writer): delivers to
// another channel of this engine, named by its `channel:` option, in process.
// The send completes once the target channel has stored the message (its
// intake log), so the hop is acknowledged only when the message is durable in
// the target, which records where it came from.
#pragma once
#include "runtime/channel_directory.hpp"

#include <artery/plugin.hpp>

#include <string>

namespace artery {

class ChannelDestination final : public Destination {
 public:
  ChannelDestination(std::string target, ChannelDirectory& directory, std::string channel);
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

 private:
  std::string target_;
  ChannelDirectory& directory_;
  std::string channel_;  // the channel this destination belongs to: the origin of what it sends
};

// The `channel` built-in: the destination (built by the runtime, like `lua`)
// and a source that takes messages only from other channels (Channel Reader).
const PluginDescriptor* channel_plugin_descriptor();

}  // namespace artery
