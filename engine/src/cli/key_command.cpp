// artery key rotate [--wait] | artery key status: POST /api/keys/rotate and
// GET /api/keys/rotation on the running engine (admin role). The rotation
// itself runs in the engine, under traffic; --wait follows its progress.
#include "cli/admin_call.hpp"
#include "cli/commands.hpp"
#include "cli/usage.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

namespace artery::cli {
namespace {

std::string text_at(const boost::json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

long long number_at(const boost::json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_int64() ? static_cast<long long>(value->as_int64()) : 0;
}

std::optional<boost::json::object> as_status(const std::string& answer) {
  boost::system::error_code ec;
  auto json = boost::json::parse(answer, ec);
  if (ec || !json.is_object()) {
    std::fprintf(stderr, "artery key: the server's answer is not a key pass status\n");
    return std::nullopt;
  }
  return json.as_object();
}

void print_status(const boost::json::object& s) {
  std::string old_keys;
  if (auto* keys = s.if_contains("old_keys"); keys && keys->is_array())
    for (const auto& key : keys->as_array())
      if (key.is_string()) old_keys += (old_keys.empty() ? "" : ", ") + std::string(key.as_string());
  std::printf("key pass: %s%s, current key %s%s, %lld of %lld messages\n", text_at(s, "state").c_str(),
              text_at(s, "reason").empty() ? "" : (" (" + text_at(s, "reason") + ")").c_str(),
              text_at(s, "current_key").empty() ? "(encryption off)" : text_at(s, "current_key").c_str(),
              old_keys.empty() ? "" : (", still readable: " + old_keys).c_str(), number_at(s, "messages_done"),
              number_at(s, "messages_total"));
  std::string waiting;
  if (auto* stores = s.if_contains("waiting_for"); stores && stores->is_array())
    for (const auto& store : stores->as_array())
      if (store.is_string()) waiting += (waiting.empty() ? "" : ", ") + std::string(store.as_string());
  if (!waiting.empty()) std::printf("waiting for %s to re-seal (its channel must be running)\n", waiting.c_str());
  if (!text_at(s, "error").empty()) std::printf("error: %s\n", text_at(s, "error").c_str());
}

}  // namespace

int key_command(int argc, char** argv) {
  Arguments args = parse_arguments(argc, argv, 2, api_flags(), {"--json", "--wait"});
  if (!args.error.empty()) return usage_error("key", args.error);
  if (args.positional.size() != 1 || (args.positional[0] != "rotate" && args.positional[0] != "status"))
    return usage_error("key", "expected 'rotate' or 'status'");
  const bool rotate = args.positional[0] == "rotate";
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error("key", problem);
  auto answer = rotate ? call_api(*client, "key rotate", "POST", "/api/keys/rotate", "{}")
                       : call_api(*client, "key status", "GET", "/api/keys/rotation");
  if (!answer) return 1;
  auto status = as_status(*answer);
  if (!status) return 1;
  if (rotate && !args.flag("--json"))
    std::printf("key rotation started: key %s is current; the old key stays readable until every value is "
                "re-sealed\n",
                text_at(*status, "current_key").c_str());
  while (args.flag("--wait") && text_at(*status, "state") == "running") {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    answer = call_api(*client, "key status", "GET", "/api/keys/rotation");
    if (!answer || !(status = as_status(*answer))) return 1;
  }
  if (args.flag("--json")) std::printf("%s\n", answer->c_str());
  else print_status(*status);
  return text_at(*status, "state") == "failed" ? 1 : 0;
}

}  // namespace artery::cli
