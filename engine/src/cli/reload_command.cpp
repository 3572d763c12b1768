// artery reload [--channel NAME | --plugins]: POST /api/reload (or
// /api/plugins/reload) on the running engine, waiting for the reload that
// covers the request, and printing what it really did.
#include "cli/admin_call.hpp"
#include "cli/commands.hpp"
#include "cli/usage.hpp"

#include <boost/json.hpp>

#include <cstdio>

namespace artery::cli {
namespace {

std::string text_at(const boost::json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// Each line of a multi-line problem, indented under its change.
void print_indented(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::printf("    %s\n", text.substr(at, end - at).c_str());
    at = end + 1;
  }
}

}  // namespace

int reload_command(int argc, char** argv) {
  Arguments args = parse_arguments(argc, argv, 2, api_flags({"--channel"}), {"--json", "--plugins"});
  if (!args.error.empty()) return usage_error("reload", args.error);
  if (!args.positional.empty())
    return usage_error("reload", "unexpected argument '" + args.positional.front() +
                                     "' (one channel: artery reload --channel NAME)");
  const auto channel = args.flag("--channel");
  const bool plugins = args.flag("--plugins").has_value();
  if (channel && channel->empty()) return usage_error("reload", "--channel needs a channel name");
  if (channel && plugins) return usage_error("reload", "--channel and --plugins: one at a time");
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error("reload", problem);
  std::string body = "{}";
  if (channel) body = boost::json::serialize(boost::json::object{{"channel", *channel}});
  auto answer = call_api(*client, "reload", "POST", plugins ? "/api/plugins/reload" : "/api/reload", body);
  if (!answer) return 1;
  boost::system::error_code ec;
  auto json = boost::json::parse(*answer, ec);
  if (ec || !json.is_object()) {
    std::fprintf(stderr, "artery reload: the server's answer is not a reload outcome\n");
    return 1;
  }
  const auto& outcome = json.as_object();
  const auto* ok = outcome.if_contains("ok");
  const bool succeeded = ok && ok->is_bool() && ok->as_bool();
  if (args.flag("--json")) {
    std::printf("%s\n", answer->c_str());
    return succeeded ? 0 : 1;
  }
  const auto* changes = outcome.if_contains("changes");
  std::size_t listed = 0;
  if (changes && changes->is_array()) {
    for (const auto& value : changes->as_array()) {
      if (!value.is_object()) continue;
      const auto& change = value.as_object();
      const auto* change_ok = change.if_contains("ok");
      const bool fine = change_ok && change_ok->is_bool() && change_ok->as_bool();
      std::printf("%s %s: %s%s\n", fine ? " " : "!", text_at(change, "channel").c_str(),
                  text_at(change, "action").c_str(), fine ? "" : " (failed)");
      if (!text_at(change, "error").empty()) print_indented(text_at(change, "error"));
      ++listed;
    }
  }
  const auto* unchanged = outcome.if_contains("unchanged");
  const auto* id = outcome.if_contains("id");
  std::printf("reload #%lld: %zu change%s, %lld unchanged%s\n",
              static_cast<long long>(id && id->is_int64() ? id->as_int64() : 0), listed, listed == 1 ? "" : "s",
              static_cast<long long>(unchanged && unchanged->is_int64() ? unchanged->as_int64() : 0),
              succeeded ? "" : "; not everything was applied (the running versions stay)");
  if (!text_at(outcome, "plugins").empty()) std::printf("plugins: %s\n", text_at(outcome, "plugins").c_str());
  return succeeded ? 0 : 1;
}

}  // namespace artery::cli
