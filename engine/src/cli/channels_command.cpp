// artery channels (every channel's state and counters, GET /api/channels)
// and artery channel start|stop|pause|resume|redeploy NAME
// (POST /api/channels/{name}/{action}): the dashboard for a terminal.
#include "cli/admin_call.hpp"
#include "cli/commands.hpp"
#include "cli/usage.hpp"

#include "json/json_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>

namespace artery::cli {
namespace {

double number_at(const boost::json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  if (!value) return 0;
  if (value->is_double()) return value->as_double();
  if (value->is_int64()) return static_cast<double>(value->as_int64());
  return 0;
}

void print_table(const boost::json::array& channels) {
  std::size_t width = 4;
  for (const auto& channel : channels)
    if (channel.is_object()) width = std::max(width, json_fields::text(channel.as_object(), "name").size());
  std::printf("%-*s  %-8s %10s %10s %8s %10s %9s %8s\n", static_cast<int>(width), "NAME", "STATE", "RECEIVED",
              "FILTERED", "QUEUED", "SENT", "ERRORED", "MSG/S");
  for (const auto& value : channels) {
    if (!value.is_object()) continue;
    const auto& channel = value.as_object();
    boost::json::object none;
    const auto* counters = channel.if_contains("counters");
    const auto& c = counters && counters->is_object() ? counters->as_object() : none;
    const auto* rates = channel.if_contains("rates");
    const double rate = rates && rates->is_object() ? number_at(rates->as_object(), "received_per_second") : 0;
    std::printf("%-*s  %-8s %10lld %10lld %8lld %10lld %9lld %8.1f\n", static_cast<int>(width),
                json_fields::text(channel, "name").c_str(), json_fields::text(channel, "state").c_str(),
                static_cast<long long>(json_fields::integer(c, "received")), static_cast<long long>(json_fields::integer(c, "filtered")),
                static_cast<long long>(json_fields::integer(c, "queued")), static_cast<long long>(json_fields::integer(c, "sent")),
                static_cast<long long>(json_fields::integer(c, "errored")), rate);
  }
}

}  // namespace

int channels_command(int argc, char** argv) {
  Arguments args = parse_arguments(argc, argv, 2, api_flags(), {"--json"});
  if (!args.error.empty()) return usage_error("channels", args.error);
  if (!args.positional.empty())
    return usage_error("channels", "unexpected argument '" + args.positional.front() +
                                       "' (to act on a channel: artery channel start|stop|... NAME)");
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error("channels", problem);
  auto body = call_api(*client, "channels", "GET", "/api/channels");
  if (!body) return 1;
  if (args.flag("--json")) {
    std::printf("%s\n", body->c_str());
    return 0;
  }
  boost::system::error_code ec;
  auto json = boost::json::parse(*body, ec);
  const boost::json::value* channels = nullptr;
  if (!ec && json.is_object()) channels = json.as_object().if_contains("channels");
  if (!channels || !channels->is_array()) {
    std::fprintf(stderr, "artery channels: the server's answer is not a channel list\n");
    return 1;
  }
  if (channels->as_array().empty()) {
    std::printf("no channels deployed\n");
    return 0;
  }
  print_table(channels->as_array());
  return 0;
}

int channel_command(int argc, char** argv) {
  Arguments args = parse_arguments(argc, argv, 2, api_flags(), {"--json"});
  if (!args.error.empty()) return usage_error("channel", args.error);
  if (args.positional.empty()) return usage_error("channel", "name an action: start, stop, pause, resume or redeploy");
  const std::string& action = args.positional[0];
  if (action != "start" && action != "stop" && action != "pause" && action != "resume" && action != "redeploy")
    return usage_error("channel", "unknown action '" + action + "' (start, stop, pause, resume, redeploy)");
  if (args.positional.size() < 2) return usage_error("channel", "name the channel: artery channel " + action + " NAME");
  if (args.positional.size() > 2) return usage_error("channel", "one channel at a time ('" + args.positional[2] + "')");
  const std::string& name = args.positional[1];
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error("channel", problem);
  auto body = call_api(*client, "channel " + action, "POST", "/api/channels/" + url_encoded(name) + "/" + action);
  if (!body) return 1;
  if (args.flag("--json")) {
    std::printf("%s\n", body->c_str());
    return 0;
  }
  boost::system::error_code ec;
  auto json = boost::json::parse(*body, ec);
  std::string state = !ec && json.is_object() ? json_fields::text(json.as_object(), "state") : "";
  std::printf("channel %s: %s\n", name.c_str(), state.empty() ? (action + " done").c_str() : state.c_str());
  return 0;
}

}  // namespace artery::cli
