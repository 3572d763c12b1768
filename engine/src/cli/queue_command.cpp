// artery queue purge --channel C [--destination D] [--yes]: gives up on a
// channel's queued deliveries (POST /api/channels/{name}/queue/purge). They
// end as ERROR "purged by <user>", never silently; since it cannot be undone
// it asks first, showing how many it would end, unless --yes.
#include "cli/admin_call.hpp"
#include "cli/commands.hpp"
#include "cli/usage.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace artery::cli {
namespace {

namespace json = boost::json;

std::int64_t integer_at(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_int64() ? value->as_int64() : 0;
}

// The queue depth the purge would end, from GET /api/channels/{name}; -1 when unknown.
std::int64_t queued(const std::string& body, const std::string& destination) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return -1;
  const auto& channel = value.as_object();
  if (destination.empty()) {
    auto* counters = channel.if_contains("counters");
    return counters && counters->is_object() ? integer_at(counters->as_object(), "queued") : -1;
  }
  if (auto* list = channel.if_contains("destinations"); list && list->is_array())
    for (const auto& d : list->as_array()) {
      if (!d.is_object()) continue;
      auto* name = d.as_object().if_contains("name");
      auto* counters = d.as_object().if_contains("counters");
      if (name && name->is_string() && name->as_string() == destination && counters && counters->is_object())
        return integer_at(counters->as_object(), "queued");
    }
  return -1;
}

int purge(int argc, char** argv) {
  const char* command = "queue purge";
  Arguments args = parse_arguments(argc, argv, 3, api_flags({"--channel", "--destination"}), {"--yes", "--json"});
  if (!args.error.empty()) return usage_error(command, args.error);
  if (!args.positional.empty()) return usage_error(command, "unexpected argument '" + args.positional.front() + "'");
  auto channel = args.flag("--channel");
  if (!channel || channel->empty()) return usage_error(command, "name the channel: --channel C");
  const std::string destination = args.flag("--destination").value_or("");
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error(command, problem);
  const std::string path = "/api/channels/" + url_encoded(*channel);
  const std::string what = destination.empty() ? "channel " + *channel : *channel + "/" + destination;
  if (!args.flag("--yes")) {
    if (!isatty(STDIN_FILENO))
      return usage_error(command, "this cannot be undone: confirm with --yes (stdin is not a terminal to ask on)");
    auto body = call_api(*client, command, "GET", path);
    if (!body) return 1;
    const std::int64_t depth = queued(*body, destination);
    if (depth < 0 && !destination.empty()) {
      std::fprintf(stderr, "artery %s: channel %s has no destination named %s\n", command, channel->c_str(),
                   destination.c_str());
      return 1;
    }
    std::printf("End the %lld queued deliveries of %s as ERROR? This cannot be undone. [y/N] ",
                static_cast<long long>(depth), what.c_str());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::printf("nothing purged\n");
      return 1;
    }
  }
  json::object request;
  if (!destination.empty()) request["destination"] = destination;
  auto body = call_api(*client, command, "POST", path + "/queue/purge", json::serialize(request));
  if (!body) return 1;
  if (args.flag("--json")) {
    std::printf("%s\n", body->c_str());
    return 0;
  }
  boost::system::error_code ec;
  auto answer = json::parse(*body, ec);
  const std::int64_t purged = !ec && answer.is_object() ? integer_at(answer.as_object(), "purged") : 0;
  std::printf("purged %lld queued deliveries of %s (now ERROR)\n", static_cast<long long>(purged), what.c_str());
  return 0;
}

}  // namespace

int queue_command(int argc, char** argv) {
  if (argc < 3 || argv[2][0] == '-') return usage_error("queue", "name what to do: purge");
  std::string_view what = argv[2];
  if (what == "purge") return purge(argc, argv);
  return usage_error("queue", "unknown subcommand '" + std::string(what) + "' (purge)");
}

}  // namespace artery::cli
