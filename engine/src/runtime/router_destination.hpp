// Delivers what a channel script routed with router.route(): each channel
// with a script has one `router` delivery queue beside its destinations. A
// message that routed gets one `router` delivery row, written with the message
// in the same insert, whose content is the list of (channel, payload) it
// routed; this destination submits them in order to their channels through
// the ChannelDirectory and completes once every target has stored its copy.
#pragma once
#include "lua/script.hpp"
#include "runtime/channel_directory.hpp"

#include <artery/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery {

// The destination name of router deliveries (reserved: no configured destination may use it).
inline constexpr std::string_view kRouterDestination = "router";

// The routes as a router delivery's content: a JSON array of {"channel", "content"}
// (readable in the store as the delivery's sent content).
std::string encode_routes(const std::vector<lua::RoutedPayload>& routes);
std::optional<std::vector<lua::RoutedPayload>> decode_routes(std::string_view content);

class RouterDestination final : public Destination {
 public:
  RouterDestination(ChannelDirectory& directory, std::string channel);
  // Blocks the (router's own) delivery thread until each target has answered.
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

 private:
  ChannelDirectory& directory_;
  std::string channel_;
  // Routes already stored by their target for the message being retried, so
  // that a retry of the third route does not send the first two again.
  std::int64_t progress_message_ = 0;
  std::size_t progress_done_ = 0;
  std::string progress_responses_;
};

}  // namespace artery
