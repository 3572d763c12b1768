#include "runtime/router_destination.hpp"

#include "config/closest_name.hpp"

#include <boost/json.hpp>

#include <future>

namespace artery {

std::string encode_routes(const std::vector<lua::RoutedPayload>& routes) {
  boost::json::array list;
  for (const auto& route : routes) list.push_back({{"channel", route.channel}, {"content", route.content}});
  return boost::json::serialize(list);
}

std::optional<std::vector<lua::RoutedPayload>> decode_routes(std::string_view content) {
  boost::system::error_code ec;
  auto value = boost::json::parse(content, ec);
  if (ec || !value.is_array()) return std::nullopt;
  std::vector<lua::RoutedPayload> out;
  for (const auto& item : value.as_array()) {
    const auto* object = item.if_object();
    const auto* channel = object ? object->if_contains("channel") : nullptr;
    const auto* text = object ? object->if_contains("content") : nullptr;
    if (!channel || !text || !channel->is_string() || !text->is_string()) return std::nullopt;
    out.push_back({std::string(channel->as_string()), std::string(text->as_string())});
  }
  return out;
}

RouterDestination::RouterDestination(ChannelDirectory& directory, std::string channel)
    : directory_(directory), channel_(std::move(channel)) {}

void RouterDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  auto routes = decode_routes(message.content);
  if (!routes) {
    done({SendResult::Status::rejected, {}, "the router delivery's content is not a list of routes"});
    return;
  }
  if (progress_message_ != message.message_id) {
    progress_message_ = message.message_id;
    progress_done_ = 0;
    progress_responses_.clear();
  }
  for (; progress_done_ < routes->size(); ++progress_done_) {
    auto& route = (*routes)[progress_done_];
    auto answer = std::make_shared<std::promise<Disposition>>();
    auto lookup = directory_.route(route.channel, std::move(route.content), {channel_, message.message_id},
                                   [answer](Disposition d) { answer->set_value(std::move(d)); });
    const std::string which = "route " + std::to_string(progress_done_ + 1) + " of " +
                              std::to_string(routes->size()) + " (" + route.channel + "): ";
    if (lookup == ChannelDirectory::Lookup::unknown) {
      // A name a script computed: no later attempt will make it exist.
      done({SendResult::Status::rejected, progress_responses_,
            which + "no channel named '" + route.channel + "'" +
                config::did_you_mean(route.channel, directory_.names())});
      return;
    }
    if (lookup == ChannelDirectory::Lookup::not_running) {
      done({SendResult::Status::retry, progress_responses_, which + "channel " + route.channel + " is not running"});
      return;
    }
    SendResult result = routed_send_result(route.channel, answer->get_future().get());
    if (result.status != SendResult::Status::sent) {
      result.error = which + result.error;
      if (result.status == SendResult::Status::rejected) ++progress_done_;  // stored there as ERROR: done with it
      done(std::move(result));
      return;
    }
    progress_responses_ += (progress_responses_.empty() ? "" : "\n") + result.response;
  }
  done({SendResult::Status::sent, progress_responses_, {}});
}

}  // namespace artery
