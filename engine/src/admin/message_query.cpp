#include "admin/message_query.hpp"

#include "admin/time_text.hpp"

#include <charconv>

namespace artery::admin {
namespace {

std::optional<std::int64_t> integer(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<MessageQuery> read_message_query(const std::vector<std::pair<std::string, std::string>>& params,
                                               std::string& problem) {
  MessageQuery query;
  query.limit = 50;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    if (key == "channel") {
      query.channel = value;
    } else if (key == "status" || key == "state") {
      // One state, or several separated by commas: status=QUEUED,ERROR.
      for (std::size_t at = 0; at <= value.size();) {
        const auto comma = std::min(value.find(',', at), value.size());
        const std::string one = value.substr(at, comma - at);
        auto state = message_state_from(one);
        if (!state) {
          problem = "unknown status '" + one + "' (RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT, ERROR)";
          break;
        }
        query.states.push_back(*state);
        at = comma + 1;
      }
    } else if (key == "q") {
      query.text = value;
    } else if (key == "control_id") {
      query.control_id = value;
    } else if (key == "patient_id") {
      query.patient_id = value;
    } else if (key == "message_type") {
      query.message_type = value;
    } else if (key == "since" || key == "until") {
      auto at = parse_time_or_age(value);
      if (!at) problem = key + ": '" + value + "' is neither a time (2026-12-01T10:00:00Z, epoch ms) nor an age (15m, 2h, 7d)";
      else (key == "since" ? query.since_ms : query.until_ms) = *at;
    } else if (key == "before") {
      auto id = integer(value);
      if (!id || *id <= 0) problem = "before: '" + value + "' is not a message id";
      else query.before_id = *id;
    } else if (key == "limit") {
      auto n = integer(value);
      if (!n || *n < 1 || *n > 500) problem = "limit: '" + value + "' is not a number from 1 to 500";
      else query.limit = static_cast<int>(*n);
    } else if (key == "origin") {
      auto id = integer(value);
      if (!id || *id <= 0) problem = "origin: '" + value + "' is not a message id";
      else query.origin_message_id = *id;
    }
    if (!problem.empty()) return std::nullopt;
  }
  return query;
}

std::optional<std::int64_t> message_id_from(const std::string& text) { return integer(text); }

}  // namespace artery::admin
