// artery messages search|show|reprocess: the message browser for a terminal,
// over GET /api/messages, GET /api/messages/{id} and POST
// /api/messages/reprocess.
#include "cli/admin_call.hpp"
#include "cli/commands.hpp"
#include "cli/usage.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <ctime>

namespace artery::cli {
namespace {

namespace json = boost::json;

std::string text_at(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::int64_t integer_at(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_int64() ? value->as_int64() : 0;
}

bool flag_at(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_bool() && value->as_bool();
}

// A message id as typed: digits only, 1 or more (ids go beyond positive_number's 9 digits).
std::optional<std::int64_t> message_id(const std::string& word) {
  if (word.empty() || word.size() > 18 || word.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  std::int64_t id = std::stoll(word);
  if (id < 1) return std::nullopt;
  return id;
}

std::string utc_time(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &parts);
  return text;
}

// HL7 v2 segments end with CR: one segment a line on a terminal. Other
// content (JSON, XML) is printed as it is, with its own line ends.
void print_content(const std::string& label, const std::string& content) {
  std::printf("%s:\n", label.c_str());
  std::string line;
  for (std::size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c == '\r' || c == '\n') {
      std::printf("  %s\n", line.c_str());
      line.clear();
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
    } else {
      line += c;
    }
  }
  if (!line.empty()) std::printf("  %s\n", line.c_str());
}

std::optional<json::object> object_from(const std::string& body, std::string_view command) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    std::fprintf(stderr, "artery %s: the server's answer is not a JSON object\n", std::string(command).c_str());
    return std::nullopt;
  }
  return std::move(value.as_object());
}

int search(int argc, char** argv) {
  Arguments args = parse_arguments(
      argc, argv, 3,
      api_flags({"--channel", "--status", "--state", "--since", "--control-id", "--patient-id", "--text", "--limit"}),
      {"--json"});
  const char* command = "messages search";
  if (!args.error.empty()) return usage_error(command, args.error);
  if (!args.positional.empty()) return usage_error(command, "unexpected argument '" + args.positional.front() + "'");
  // The API searches one term, matched against control id, patient id,
  // message type and content; the exact id filters are applied to what it returns.
  int terms = 0;
  std::string term;
  for (const char* flag : {"--control-id", "--patient-id", "--text"})
    if (auto value = args.flag(flag)) {
      ++terms;
      term = *value;
    }
  if (terms > 1) return usage_error(command, "give one of --control-id, --patient-id and --text");
  long limit = 50;
  if (auto text = args.flag("--limit")) {
    auto n = positive_number(*text);
    if (!n || *n > 10'000) return usage_error(command, "--limit: '" + *text + "' is not a number from 1 to 10000");
    limit = *n;
  }
  std::string status = args.flag("--status").value_or(args.flag("--state").value_or(""));
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error(command, problem);

  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + url_encoded(value);
  };
  add("channel", args.flag("--channel").value_or(""));
  add("status", status);
  add("since", args.flag("--since").value_or(""));
  add("q", term);
  const auto control_id = args.flag("--control-id");
  const auto patient_id = args.flag("--patient-id");
  auto wanted = [&](const json::object& m) {
    if (control_id && text_at(m, "control_id") != *control_id) return false;
    if (patient_id && text_at(m, "patient_id") != *patient_id) return false;
    return true;
  };

  // Pages of at most 500 (the API's limit), newest first, until `limit`.
  json::array found;
  std::int64_t before = 0;
  bool more = false;
  for (;;) {
    const long page = std::min<long>(500, limit - static_cast<long>(found.size()));
    std::string target = "/api/messages" + query + (query.empty() ? "?" : "&") + "limit=" + std::to_string(page);
    if (before > 0) target += "&before=" + std::to_string(before);
    auto body = call_api(*client, command, "GET", target);
    if (!body) return 1;
    auto answer = object_from(*body, command);
    if (!answer) return 1;
    if (auto* list = answer->if_contains("messages"); list && list->is_array())
      for (auto& m : list->as_array())
        if (m.is_object() && wanted(m.as_object())) found.push_back(m);
    more = flag_at(*answer, "more");
    before = integer_at(*answer, "next_before");
    if (!more || before <= 0 || static_cast<long>(found.size()) >= limit) break;
  }
  if (args.flag("--json")) {
    json::object out{{"messages", found}, {"more", more}};
    std::printf("%s\n", json::serialize(out).c_str());
    return 0;
  }
  if (found.empty()) {
    std::printf("no messages match\n");
    return 0;
  }
  std::printf("%-9s %-20s %-20s %-9s %-10s %-20s %s\n", "ID", "RECEIVED", "CHANNEL", "STATE", "TYPE", "CONTROL ID",
              "PATIENT ID");
  for (const auto& value : found) {
    const auto& m = value.as_object();
    std::printf("%-9lld %-20s %-20s %-9s %-10s %-20s %s\n", static_cast<long long>(integer_at(m, "id")),
                utc_time(integer_at(m, "received_at_ms")).c_str(), text_at(m, "channel").c_str(),
                text_at(m, "state").c_str(), text_at(m, "message_type").c_str(), text_at(m, "control_id").c_str(),
                text_at(m, "patient_id").c_str());
  }
  if (more) std::printf("(more messages match: raise --limit or narrow the search)\n");
  return 0;
}

int show(int argc, char** argv) {
  const char* command = "messages show";
  Arguments args = parse_arguments(argc, argv, 3, api_flags(), {"--json"});
  if (!args.error.empty()) return usage_error(command, args.error);
  if (args.positional.size() != 1) return usage_error(command, "name one message id");
  const std::string& id = args.positional[0];
  if (!message_id(id)) return usage_error(command, "'" + id + "' is not a message id");
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error(command, problem);
  auto body = call_api(*client, command, "GET", "/api/messages/" + url_encoded(id));
  if (!body) return 1;
  if (args.flag("--json")) {
    std::printf("%s\n", body->c_str());
    return 0;
  }
  auto m = object_from(*body, command);
  if (!m) return 1;
  std::printf("message %lld  %s  channel %s  %s\n", static_cast<long long>(integer_at(*m, "id")),
              utc_time(integer_at(*m, "received_at_ms")).c_str(), text_at(*m, "channel").c_str(),
              text_at(*m, "state").c_str());
  std::printf("type %s  control id %s  patient id %s  data type %s\n", text_at(*m, "message_type").c_str(),
              text_at(*m, "control_id").c_str(), text_at(*m, "patient_id").c_str(), text_at(*m, "data_type").c_str());
  if (auto origin = integer_at(*m, "origin_message_id"); origin > 0)
    std::printf("from message %lld of channel %s\n", static_cast<long long>(origin),
                text_at(*m, "origin_channel").c_str());
  const bool content = flag_at(*m, "content_included");
  if (!content) std::printf("(content hidden: the token's role may see states only, not message content)\n");
  if (content) {
    print_content("raw", text_at(*m, "raw"));
    if (auto transformed = text_at(*m, "transformed"); !transformed.empty()) print_content("transformed", transformed);
    if (auto error = text_at(*m, "error"); !error.empty()) print_content("error", error);
  }
  if (auto* deliveries = m->if_contains("deliveries"); deliveries && deliveries->is_array()) {
    for (const auto& value : deliveries->as_array()) {
      if (!value.is_object()) continue;
      const auto& d = value.as_object();
      std::printf("\ndestination %s: %s after %lld attempt(s), %s\n", text_at(d, "destination").c_str(),
                  text_at(d, "state").c_str(), static_cast<long long>(integer_at(d, "attempts")),
                  utc_time(integer_at(d, "updated_ms")).c_str());
      if (!content) continue;
      // Nothing was sent yet while no attempt was made.
      if (integer_at(d, "attempts") == 0) {
      } else if (flag_at(d, "sent_unchanged")) {
        std::printf("sent: the message's payload, unchanged\n");
      } else {
        print_content("sent", text_at(d, "sent_content"));
      }
      if (auto response = text_at(d, "response"); !response.empty()) print_content("response", response);
      if (auto error = text_at(d, "error"); !error.empty()) print_content("error", error);
    }
  }
  return 0;
}

int reprocess(int argc, char** argv) {
  const char* command = "messages reprocess";
  Arguments args =
      parse_arguments(argc, argv, 3, api_flags({"--channel", "--status", "--state", "--since"}), {"--json"});
  if (!args.error.empty()) return usage_error(command, args.error);
  json::object request;
  const auto channel = args.flag("--channel");
  const auto status = args.flag("--status") ? args.flag("--status") : args.flag("--state");
  const auto since = args.flag("--since");
  if (!args.positional.empty()) {
    if (channel || status || since)
      return usage_error(command, "give message ids or --channel/--status/--since, not both");
    json::array ids;
    for (const auto& word : args.positional) {
      auto id = message_id(word);
      if (!id) return usage_error(command, "'" + word + "' is not a message id");
      ids.push_back(*id);
    }
    request["ids"] = std::move(ids);
  } else {
    if (!channel)
      return usage_error(command, "name messages: ID... or --channel C [--status ERROR] [--since 1h]");
    request["channel"] = *channel;
    if (status) request["status"] = *status;
    if (since) request["since"] = *since;
  }
  std::string problem;
  auto client = api_client_from(args, problem);
  if (!client) return usage_error(command, problem);
  auto body = call_api(*client, command, "POST", "/api/messages/reprocess", json::serialize(request));
  if (!body) return 1;
  auto answer = object_from(*body, command);
  if (!answer) return 1;
  const auto failed = integer_at(*answer, "failed");
  if (args.flag("--json")) {
    std::printf("%s\n", body->c_str());
    return failed > 0 ? 1 : 0;
  }
  std::string ids;
  if (auto* list = answer->if_contains("ids"); list && list->is_array())
    for (const auto& id : list->as_array()) ids += (ids.empty() ? "" : " ") + json::serialize(id);
  std::printf("reprocessed %lld message(s)%s%s\n", static_cast<long long>(integer_at(*answer, "reprocessed")),
              ids.empty() ? "" : "; new ids: ", ids.c_str());
  if (auto* failures = answer->if_contains("failures"); failures && failures->is_array())
    for (const auto& value : failures->as_array())
      if (value.is_object())
        std::fprintf(stderr, "artery %s: message %lld: %s\n", command,
                     static_cast<long long>(integer_at(value.as_object(), "id")),
                     text_at(value.as_object(), "error").c_str());
  return failed > 0 ? 1 : 0;
}

}  // namespace

int messages_command(int argc, char** argv) {
  if (argc < 3 || argv[2][0] == '-') return usage_error("messages", "name what to do: search, show or reprocess");
  std::string_view what = argv[2];
  if (what == "search") return search(argc, argv);
  if (what == "show") return show(argc, argv);
  if (what == "reprocess") return reprocess(argc, argv);
  return usage_error("messages", "unknown subcommand '" + std::string(what) + "' (search, show, reprocess)");
}

}  // namespace artery::cli
